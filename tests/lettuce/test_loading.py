"""Step files: imported once each, found by Lettuce's walk-up rule."""
from __future__ import annotations

import sys

from lettuce.loading import load_step_files, step_folder_for


class TestLoadStepFiles:
    def test_every_python_file_under_a_folder_is_imported_once(self, tmp_path, clean_registries):
        registered, _ = clean_registries
        (tmp_path / "sub").mkdir()
        (tmp_path / "helper_mod.py").write_text("VALUE = 'neighbour'\n")
        (tmp_path / "steps.py").write_text(
            "from lettuce import step\nfrom helper_mod import VALUE\n\n"
            "@step(r'^a step$')\ndef a_step(step):\n    return VALUE\n"
        )
        (tmp_path / "sub" / "steps.py").write_text(
            "from lettuce import step\n\n@step(r'^another step$')\ndef another(step):\n    pass\n"
        )
        (tmp_path / "sub" / "__init__.py").write_text("raise RuntimeError('never imported')\n")
        try:
            modules = load_step_files([tmp_path], tmp_path)
            assert len(modules) == 3  # helper_mod, steps, sub/steps: two steps.py, two modules
            assert list(registered) == [r"^a step$", r"^another step$"]
            assert registered[r"^a step$"].function(None) == "neighbour"
            assert load_step_files([tmp_path], tmp_path) == modules  # not imported again
        finally:
            for name in [name for name in sys.modules if name.startswith("harvest_steps.")]:
                del sys.modules[name]
            sys.modules.pop("helper_mod", None)




class TestStepFolder:
    def test_the_nearest_folder_up_with_python_files_holds_the_steps(self, tmp_path):
        deeper = tmp_path / "project" / "features" / "a" / "b"
        deeper.mkdir(parents=True)
        (tmp_path / "project" / "features" / "steps.py").write_text("")
        assert step_folder_for(deeper, [tmp_path / "project"]) == (tmp_path / "project" / "features")

    def test_the_climb_stops_below_the_project_and_apps(self, tmp_path):
        project = tmp_path / "project"
        (project / "blog" / "features" / "x").mkdir(parents=True)
        (project / "blog" / "models.py").write_text("")
        (project / "manage.py").write_text("")
        start = project / "blog" / "features" / "x"
        assert step_folder_for(start, [project, project / "blog"]) == start.resolve()
        assert step_folder_for(project / "blog" / "features", [project]) == (project / "blog").resolve()
