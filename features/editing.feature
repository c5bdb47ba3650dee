@slow
Feature: Editors publish through the admin
  In order to get stories out
  As an editor
  I want what I publish or change in the admin to reach readers at once,
  even though readers are served from the cache

  Background:
    Given the editor "erin" exists with password "correct horse battery"

  Scenario: An editor logs in with the right password
    Given I am at "/admin/"
    When I fill in "Username" with "erin"
    And I fill in "Password" with "correct horse battery"
    And I press "Log in"
    Then I should be at "/admin/"
    And I should see "Respawn editors"
    And I should see a link to "Posts"

  Scenario: A wrong password keeps the editor out
    Given I am at "/admin/"
    When I fill in the following:
      | field       | value         |
      | username    | erin          |
      | id_password | horse battery |
    And I press "Log in"
    Then I should see "Please enter the correct username and password for a staff account."
    And I should be at "/admin/login/"
    And I should not see "Welcome, erin"

  Scenario: A post published in the admin is on the front page at once
    Given the following posts are published:
      | title            | published |
      | Yesterday's news | 1 day ago |
    And the page "/" is served from the cache
    When I log in as "erin"
    And I visit "/admin/blog/post/add/"
    And I fill in the following:
      | field | value                     |
      | Title | Hot off the press         |
      | Body  | <p>Just in from E3.</p>   |
    And I select "Published" from "Status"
    And I press "Save"
    Then I should see "was added successfully"
    When I log out
    And I visit "/"
    Then the post cards should read:
      | title             |
      | Hot off the press |
      | Yesterday's news  |

  Scenario: A title changed in the admin shows on its section page
    Given the following posts are published:
      | title        | category |
      | Old headline | Games    |
    And the page "/category/games/" is served from the cache
    When I log in as "erin"
    And I visit "/admin/blog/post/"
    And I click "Old headline"
    And I fill in "Title" with "New headline"
    And I press "Save"
    Then I should see "was changed successfully"
    When I log out
    And I visit "/category/games/"
    Then I should see "New headline"
    And I should not see "Old headline"
