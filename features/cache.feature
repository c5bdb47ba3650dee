Feature: Pages come from the cache, except for editors
  Nginx answers a page from memcached once Django has rendered it, so readers get it
  without touching Python; anyone logged in always gets a freshly rendered page.

  Background:
    Given the following posts are published:
      | title               | category |
      | Cache me if you can | Games    |

  Scenario: A second visit is served from the cache
    When I visit "/"
    Then I should see "Cache me if you can"
    And the next request for "/" is a cache HIT
    And the next request for "/category/games/" is a cache MISS
    And the next request for "/category/games/" is a cache HIT
    And the page "/posts/cache-me-if-you-can/" is served from the cache

  @slow
  Scenario: A logged-in editor never sees a cached page
    Given the editor "erin" exists with password "correct horse battery"
    And the page "/" is served from the cache
    When the title of "Cache me if you can" changes to "Fresh from the database" without the cache being told
    And I visit "/"
    Then I should see "Cache me if you can"
    When I log in as "erin"
    And I visit "/"
    Then I should see "Fresh from the database"
    And I should not see "Cache me if you can"
    And my next request for "/" is not served from the cache
