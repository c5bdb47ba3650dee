Feature: Cached pages come alive through the JSON API
  Every reader gets the same cached bytes; what differs per visitor, or what a reader
  asks for next, the page's script fetches from the API (/api/v1/).

  Scenario: A reader clicks "Load more" and sees older posts
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
      | Dispatch 12 |
    And the page "/" is served from the cache
    When I visit "/"
    Then I should see 10 post cards
    And I should not see "Dispatch 11"
    And I should see a link to "/?page=2"
    When I press "Load more"
    Then I should see 12 post cards
    And the post cards should read:
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
      | Dispatch 12 |
    And I should see 0 elements matching "button.load-more"
    And the next request for "/api/v1/post/?limit=10&offset=10" is a cache HIT

  Scenario: An editor sees "Edit this post" on the page readers get from the cache
    Given the following posts are published:
      | title                 | slug        |
      | Patch notes explained | patch-notes |
    And the editor "erin" exists with password "correct horse battery"
    And the page "/posts/patch-notes/" is served from the cache
    When I log in as "erin"
    And I visit "/posts/patch-notes/"
    Then I should see "Logged in as erin"
    And I should see a link to "New post"
    And I should see a link to "Edit this post"
    And the page I am reading is the copy readers get from the cache
    When I click "Edit this post"
    Then I should see "Change post"

  Scenario: A reader gets no editor tools
    Given the following posts are published:
      | title                 | slug        |
      | Patch notes explained | patch-notes |
    And the page "/posts/patch-notes/" is served from the cache
    When I visit "/posts/patch-notes/"
    Then the post title should be "Patch notes explained"
    And I should not see "Edit this post"
    And I should not see "Logged in as"

  Scenario: An editor logs out from the bar on a cached page
    Given the following posts are published:
      | title                 | slug        |
      | Patch notes explained | patch-notes |
    And the editor "erin" exists with password "correct horse battery"
    When I log in as "erin"
    And I visit "/posts/patch-notes/"
    Then I should see "Logged in as erin"
    When I press "Log out"
    Then I should see "Thanks for spending some quality time with the web site today."
    When I visit "/posts/patch-notes/"
    Then the post title should be "Patch notes explained"
    And I should not see "Logged in as"
    And the page I am reading is the copy readers get from the cache
