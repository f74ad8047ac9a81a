"""The moderators' dashboard (issue #11). So far: its accounts and sessions
(moderation/store/accounts.py) and the session checks the admin API accepts (auth.py)."""
