@slow
Feature: Photos, comments and search on a cached magazine
  In order to run a magazine readers come back to
  As an editor and as a reader
  I want photos in stories, comments I moderate and a search box,
  all served from the page cache and fresh the moment they change

  Background:
    Given the editor "erin" exists with password "correct horse battery"

  Scenario: An editor uploads a photo and sets it as a post's cover
    Given the following posts are published:
      | title             | slug      | category |
      | The finals, live  | finals    | Esports  |
    And the page "/posts/finals/" is served from the cache
    When I log in as "erin"
    And I visit "/admin/blog/image/add/"
    And I attach a photo "crowd.jpg" to "File"
    And I fill in "Alt text" with "The crowd on finals night"
    And I fill in "Caption" with "Ten thousand fans in the arena"
    And I press "Save"
    Then I should see "was added successfully"
    When I visit "/admin/blog/post/"
    And I click "The finals, live"
    And I fill in "id_cover" with the id of the photo "The crowd on finals night"
    And I press "Insert"
    And I press "Save"
    Then I should see "was changed successfully"
    When I log out
    And I visit "/posts/finals/"
    Then I should see the photo "The crowd on finals night" loaded
    And I should see "Ten thousand fans in the arena"
    And I should see 1 element matching ".prose figure.photo picture img[loading=lazy]"
    And the cached copy of "/posts/finals/" shows "The crowd on finals night"

  Scenario: A reader comments and an editor approves it
    Given the following posts are published:
      | title              | slug     |
      | Best boss fights   | bosses   |
    When I visit "/posts/bosses/"
    And I fill in "Name" with "Rin"
    And I fill in "Email (never shown)" with "rin@example.com"
    And I fill in "Comment" with "The dragon in chapter three!"
    And I press "Post comment"
    Then I should see "Awaiting moderation"
    And I should see "The dragon in chapter three!"
    And the cached copy of "/posts/bosses/" does not show "The dragon in chapter three!"
    When I visit "/posts/bosses/"
    Then I should see "Only you can see this until an editor approves it."
    When I log in as "erin"
    And I visit "/admin/blog/comment/"
    Then I should see "1 awaiting moderation"
    When I select the comment by "Rin"
    And I select "Approve selected comments (show them under the post)" from "action"
    And I press "Go"
    Then I should see "Approved 1 comment."
    When I log out
    And I visit "/posts/bosses/"
    Then I should see "The dragon in chapter three!"
    And I should see "1 comment"
    And the cached copy of "/posts/bosses/" shows "The dragon in chapter three!"

  Scenario: A reader searches
    Given the following posts are published:
      | title                      | body                                         |
      | Speedrunning the classics  | <p>Frame-perfect tricks in old games.</p>    |
      | A quiet puzzle game        | <p>No speedrunning here, only patience.</p>  |
      | Hardware news              | <p>New graphics cards.</p>                   |
    When I visit "/"
    And I fill in "Search the magazine" with "speedrunning"
    And I press "Search"
    Then I should see "Results for “speedrunning”"
    And I should see "2 stories found"
    And I should see 2 elements matching ".search-result mark"
    And I should not see "New graphics cards"
    When I fill in "Search for" with "???"
    And I press "Search stories"
    Then I should see "punctuation alone matches nothing"
