"""flask --app moderation users ... (dashboard accounts) and the demo-admin account of `demo`."""
import re

from moderation.api.deps import services

PASSWORD = "correct horse battery"


def _invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def _login(app, name, password):
    with app.app_context():
        return services().accounts.login(name, password, "10.0.0.1")


def _session(app, token):
    with app.app_context():
        return services().accounts.session(token)


def _create(app, name="ada", *options, password=PASSWORD):
    result = _invoke(app, "create", name, *options, "--password-stdin", input=password + "\n")
    assert result.exit_code == 0, result.output
    return result


def test_create_with_password_from_stdin_logs_in(app, site):
    result = _create(app, "ada", "--site", site.id)
    assert PASSWORD not in result.output
    token, session = _login(app, "ada", PASSWORD)
    assert session.account.role == "moderator" and session.account.sites == (site.id,)
    assert _session(app, token).account.name == "ada"
    assert _login(app, "ada", PASSWORD + "x") is None


def test_generate_prints_a_password_that_logs_in(app):
    result = _invoke(app, "create", "root", "--role", "admin", "--generate")
    assert result.exit_code == 0, result.output
    password = re.search(r"password: (\S+)", result.output).group(1)
    _token, session = _login(app, "root", password)
    assert session.account.is_admin and session.account.sites == ()


def test_prompt_asks_twice_and_refuses_a_short_password(app):
    typed = _invoke(app, "create", "bea", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert typed.exit_code == 0, typed.output
    assert _login(app, "bea", PASSWORD) is not None
    short = _invoke(app, "create", "cy", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert "Traceback" not in short.output


def test_an_unknown_site_is_refused(app, site):
    result = _invoke(app, "create", "ada", "--site", site.id, "--site", "no-such-site", "--password-stdin",
                     input=PASSWORD + "\n")
    assert result.exit_code == 2 and "no-such-site" in result.output
    with app.app_context():
        assert services().accounts.get("ada") is None


def test_a_duplicate_name_is_refused_clearly(app):
    _create(app, "ada")
    again = _invoke(app, "create", "ada", "--password-stdin", input="another long password\n")
    assert again.exit_code == 1
    assert "Error: an account named 'ada' exists already" in again.output and "Traceback" not in again.output
    assert _login(app, "ada", PASSWORD) is not None  # the first password still stands


def test_list_shows_role_sites_state_and_sessions(app, site):
    _create(app, "ada", "--site", site.id)
    _create(app, "root", "--role", "admin")
    _login(app, "ada", PASSWORD)
    _invoke(app, "disable", "root")
    lines = _invoke(app, "list").output.splitlines()
    assert lines == [f"ada\tmoderator\t{site.id}\tactive\t1 session", "root\tadmin\tall\tdisabled\t0 sessions"]


def test_password_change_revokes_sessions_and_takes_the_new_password(app):
    _create(app, "ada")
    token, _session_ = _login(app, "ada", PASSWORD)
    result = _invoke(app, "password", "ada", "--password-stdin", input="a brand new password\n")
    assert result.exit_code == 0 and "1 session ended" in result.output
    assert _session(app, token) is None
    assert _login(app, "ada", PASSWORD) is None
    assert _login(app, "ada", "a brand new password") is not None


def test_disable_blocks_login_and_enable_restores_it(app):
    _create(app, "ada")
    token, _session_ = _login(app, "ada", PASSWORD)
    assert _invoke(app, "disable", "ada").exit_code == 0
    assert _session(app, token) is None
    assert _login(app, "ada", PASSWORD) is None
    assert _invoke(app, "enable", "ada").exit_code == 0
    assert _login(app, "ada", PASSWORD) is not None


def test_revoke_ends_every_session(app):
    _create(app, "ada")
    tokens = [_login(app, "ada", PASSWORD)[0] for _ in range(2)]
    result = _invoke(app, "revoke", "ada")
    assert result.exit_code == 0 and "2 sessions ended" in result.output
    assert [_session(app, token) for token in tokens] == [None, None]
    assert _login(app, "ada", PASSWORD) is not None  # the account itself is untouched


def test_delete_asks_then_removes(app):
    _create(app, "ada")
    token, _session_ = _login(app, "ada", PASSWORD)
    declined = _invoke(app, "delete", "ada", input="n\n")
    assert declined.exit_code == 1 and _login(app, "ada", PASSWORD) is not None
    assert _invoke(app, "delete", "ada", "--yes").exit_code == 0
    assert _session(app, token) is None and _login(app, "ada", PASSWORD) is None
    assert "ada" not in _invoke(app, "list").output


def test_set_sites_and_set_role(app, site):
    _create(app, "ada")
    assert _invoke(app, "set-sites", "ada", "--site", site.id).exit_code == 0
    assert _invoke(app, "set-sites", "ada", "--site", "no-such-site").exit_code == 2
    assert _invoke(app, "set-role", "ada", "admin").exit_code == 0
    with app.app_context():
        account = services().accounts.get("ada")
    assert (account.role, account.sites) == ("admin", (site.id,))


def test_an_unknown_account_is_named(app):
    for command in (["password", "nobody", "--generate"], ["disable", "nobody"], ["revoke", "nobody"],
                    ["delete", "nobody", "--yes"], ["set-role", "nobody", "admin"]):
        result = _invoke(app, *command)
        assert result.exit_code == 1 and "No such account: nobody" in result.output, command


def test_demo_prints_a_dashboard_login_that_works(app):
    runner = app.test_cli_runner()
    passwords = []
    for _ in range(2):  # the second run resets the existing account
        output = runner.invoke(args=["demo", "--port", "8123"]).output
        found = re.search(r"^Dashboard: http://127\.0\.0\.1:8123/admin/  \(user demo-admin, password (\S+)\)$",
                          output, re.M)
        assert found, output
        passwords.append(found.group(1))
    assert passwords[0] != passwords[1]
    assert _login(app, "demo-admin", passwords[0]) is None
    _token, session = _login(app, "demo-admin", passwords[1])
    assert session.account.is_admin and session.account.sites == ()


def test_demo_uses_the_configured_password(redis_url):
    from moderation import create_app
    app = create_app({"MODERATION_REDIS_URL": redis_url, "MODERATION_DEMO_PASSWORD": "demo-password-123"})
    output = app.test_cli_runner().invoke(args=["demo"]).output
    assert "(user demo-admin, password demo-password-123)" in output
    assert _login(app, "demo-admin", "demo-password-123") is not None
