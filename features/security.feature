Feature: The Content-Security-Policy keeps the site's own scripts working
  Every page, from the cache or from Django, allows only the site's own scripts and
  styles: an injected inline script does not run, while the page script and the admin's
  scripts do.

  Scenario: The page script works under the policy on a page from the cache
    Given the following posts are published:
      | title       |
      | Dispatch 01 |
      | Dispatch 02 |
      | Dispatch 03 |
      | Dispatch 04 |
      | Dispatch 05 |
      | Dispatch 06 |
      | Dispatch 07 |
      | Dispatch 08 |
      | Dispatch 09 |
      | Dispatch 10 |
      | Dispatch 11 |
    And the page "/" is served from the cache
    When I visit "/"
    Then the page "/" carries the same Content-Security-Policy from the cache as from Django
    And an inline script injected into the page does not run
    And the browser reported no blocked script or style of the site's own
    When I press "Load more"
    Then I should see 11 post cards
    And the browser reported no blocked script or style of the site's own

  Scenario: The admin's scripts work under the policy
    Given the editor "erin" exists with password "correct horse battery"
    And the following posts are published:
      | title        |
      | First story  |
      | Second story |
    When I log in as "erin"
    And I visit "/admin/blog/post/"
    Then the browser reported no blocked script or style of the site's own
    When I check "action-toggle"
    Then I should see "2 of 2 selected"
    And the browser reported no blocked script or style of the site's own
