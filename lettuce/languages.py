"""The languages a Lettuce feature could be written in, with Lettuce's own keywords.

Lettuce 0.2.23 read ``# language: <code>`` and knew the codes below, with its own words
for the parts of a feature (``Fonction``, ``特性``, ``Esquema do Cenário``...). behave's
table has more languages but other codes (``pt``, ``cs``) and other words, so a Lettuce
suite would not parse there. Each entry keeps Lettuce's code and words; ``behave`` names
behave's language whose step keywords (``Dado``, ``Soit``, ``假如``...) are recognised
too. Lettuce needed no step keywords at all: a step line may start with any word.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LettuceLanguage:
    code: str
    behave: str
    feature: tuple[str, ...]
    background: tuple[str, ...]
    scenario: tuple[str, ...]
    scenario_outline: tuple[str, ...]
    examples: tuple[str, ...]


def _language(code: str, behave: str, feature: str, background: str, scenario: str,
              outline: str, examples: str) -> LettuceLanguage:
    split = lambda words: tuple(words.split("|"))  # noqa: E731 - Lettuce's "a|b" notation
    return LettuceLanguage(code, behave, split(feature), split(background), split(scenario),
                           split(outline), split(examples))


LANGUAGES: dict[str, LettuceLanguage] = {language.code: language for language in (
    _language("en", "en", "Feature", "Background", "Scenario", "Scenario Outline",
              "Examples|Scenarios"),
    _language("pt-br", "pt", "Funcionalidade", "Contexto|Considerações", "Cenário|Cenario",
              "Esquema do Cenário|Esquema do Cenario", "Exemplos|Cenários"),
    _language("pl", "pl", "Właściwość", "Background", "Scenariusz", "Zarys Scenariusza",
              "Przykład"),
    _language("ca", "ca", "Funcionalitat", "Background", "Escenari", "Esquema d'Escenari",
              "Exemples"),
    _language("es", "es", "Funcionalidad", "Contexto|Consideraciones", "Escenario",
              "Esquema de Escenario", "Ejemplos"),
    _language("hu", "hu", "Jellemző", "Háttér", "Forgatókönyv", "Forgatókönyv vázlat",
              "Példák"),
    _language("fr", "fr", "Fonctionnalité|Fonction", "Background|Contexte", "Scénario",
              "Plan de Scénario|Plan du Scénario", "Exemples|Scénarios"),
    _language("de", "de", "Funktionalität|Funktion", "Background", "Szenario",
              "Szenario-Zusammenfassung|Zusammenfassung", "Beispiele|Szenarios"),
    _language("ja", "ja", "フィーチャ|機能", "背景", "シナリオ",
              "シナリオアウトライン|シナリオテンプレート|テンプレ|シナリオテンプレ", "例"),
    _language("tr", "tr", "Özellik", "Background", "Senaryo",
              "Senaryo taslağı|Senaryo Taslağı", "Örnekler"),
    _language("zh-CN", "zh-CN", "特性", "背景", "场景", "场景模板", "例如|场景集"),
    _language("zh-TW", "zh-TW", "特性", "背景", "場景", "場景模板", "例如|場景集"),
    _language("ru", "ru", "Функционал", "Background|Предыстория", "Сценарий",
              "Структура сценария", "Примеры|Сценарии"),
    _language("uk", "uk", "Функціонал", "Background", "Сценарій", "Структура сценарію",
              "Приклади|Сценарії"),
    _language("it", "it", "Funzionalità|Funzione", "Background", "Scenario",
              "Schema di Scenario|Piano di Scenario", "Esempi|Scenari|Scenarii"),
    _language("no", "no", "Egenskaper", "Bakgrunn", "Situasjon", "Situasjon Oversikt",
              "Eksempler"),
    _language("sv", "sv", "Egenskaper", "Context", "Scenario", "Scenarioöversikt",
              "Exempel|Scenarion"),
    _language("cz", "cs", "Požadavek", "Background", "Scénář|Požadavek", "Náčrt scénáře",
              "Příklady"),
)}
