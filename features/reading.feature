Feature: Readers browse the magazine
  In order to keep up with games, hardware and culture
  As a reader
  I want to reach every post from the front page, its section and its tags

  Background:
    Given the following posts are published:
      | title                      | category | tags        | published  |
      | Speedrunners meet in Turku | Culture  | events      | 1 day ago  |
      | A quieter graphics card    | Hardware | gpu, review | 2 days ago |
      | Patch notes for Starfall   | Games    | patches     | 3 days ago |

  Scenario: The front page leads with the newest post
    Given I am at "/"
    Then the page title should be "Respawn — Games, hardware and the culture around them"
    And I should see 3 post cards
    And the post cards should read:
      | title                      |
      | Speedrunners meet in Turku |
      | A quieter graphics card    |
      | Patch notes for Starfall   |
    And I should see a link to "Hardware"
    And I should see a link to "/feed/"

  Scenario: A reader opens a post from the front page
    Given I am at "/"
    When I click "A quieter graphics card"
    Then I should be at "/posts/a-quieter-graphics-card/"
    And the post title should be "A quieter graphics card"
    And I should see a link to "review"
    And the page title should be "A quieter graphics card — Respawn"

  Scenario Outline: Sections and tags list their own posts
    When I visit "<page>"
    Then the page heading should be "<heading>"
    And the post cards should read:
      | title    |
      | <listed> |

    Examples:
      | page              | heading  | listed                     |
      | /category/games/  | Games    | Patch notes for Starfall   |
      | /category/culture/| Culture  | Speedrunners meet in Turku |
      | /tag/gpu/         | #gpu     | A quieter graphics card    |

  Scenario: The feed lists the newest post first
    Then the feed "/feed/" lists "Speedrunners meet in Turku" first
    And the page "/feed/" answers 200

  Scenario: An unknown page is a friendly 404
    When I visit "/no-such-page/"
    Then I should see "Game over? Not quite."
    And I should see a link to "Respawn at the front page"
    And I should not see "Traceback"
    And the page "/no-such-page/" answers 404
