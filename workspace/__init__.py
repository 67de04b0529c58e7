"""The workspace: teammates, their roles, API tokens and the settings area's shell. Below the
feature apps, so every one of them may ask who someone is and what they may do."""
