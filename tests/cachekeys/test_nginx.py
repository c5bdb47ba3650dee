"""The rendered Nginx config: valid for a real nginx, and built from Django's settings."""
from __future__ import annotations

import io
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from cachekeys.keys import page_key
from cachekeys.nginx import server_names


def nginx_config(*args: str) -> str:
    out = io.StringIO()
    call_command("nginx_config", *args, stdout=out)
    return out.getvalue()


class TestRender:
    def test_standalone_config_is_accepted_by_nginx(self, tmp_path):
        tmp_path.chmod(0o755)
        config = tmp_path / "nginx.conf"
        config.write_text(nginx_config("--standalone", f"--run-dir={tmp_path}", "--listen=127.0.0.1:18999",
                                       "--app=127.0.0.1:18998", "--memcached=127.0.0.1:18997"))
        result = subprocess.run(["nginx", "-t", "-c", str(config), "-p", str(tmp_path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

    def test_standalone_sets_no_daemon_and_keeps_files_in_run_dir(self, tmp_path):
        text = nginx_config("--standalone", f"--run-dir={tmp_path}")
        directives = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
        assert not any(line.startswith("daemon") for line in directives)
        for directive in ("pid", "error_log", "client_body_temp_path", "proxy_temp_path"):
            line = next(line for line in text.splitlines() if line.strip().startswith(directive))
            assert str(tmp_path) in line

    def test_server_block_alone_for_an_existing_nginx(self):
        text = nginx_config("--app=10.0.0.5:8001", "--app=10.0.0.6:8001", "--memcached=10.0.0.7:11211")
        assert "load_module" not in text and "events {" not in text
        assert "server 10.0.0.5:8001;" in text and "server 10.0.0.6:8001;" in text
        assert "server 10.0.0.7:11211;" in text and "listen 80;" in text

    def test_memcached_defaults_to_the_settings(self):
        with override_settings(CACHEKEYS={"SERVERS": ["10.1.1.1:11211", "10.1.1.2:11211"]}):
            text = nginx_config()
        assert "server 10.1.1.1:11211;" in text and "server 10.1.1.2:11211;" in text

    def test_key_prefix_query_params_and_cookie_come_from_settings(self):
        with override_settings(CACHEKEYS={"KEY_PREFIX": "v2:", "QUERY_PARAMS": ["page", "limit"],
                                          "TRACKING_PARAMS": ["utm_*", "fbclid", "mc_*"]},
                               SESSION_COOKIE_NAME="editor_session"):
            text = nginx_config()
        assert 'ngx.md5("v2:" .. ngx.var.host .. uri)' in text
        assert 'cachekeys_tracking_params = { ["fbclid"] = true, }' in text
        assert 'cachekeys_tracking_prefixes = { "mc_", "utm_", }' in text
        assert '["limit"] = true, ["page"] = true,' in text
        assert 'v["cookie_editor_session"]' in text

    def test_the_purge_log_reader_gets_the_nodes_names_resolved(self):
        # Lua's sockets cannot read /etc/hosts; Nginx's upstream keeps the name it resolves itself.
        text = nginx_config("--memcached=localhost:11311", "--memcached=10.0.0.7:11211")
        assert "server localhost:11311;" in text
        nodes = next(line for line in text.splitlines() if "local NODES = {" in line)
        assert '"10.0.0.7:11211"' in nodes and "localhost" not in nodes
        assert '"127.0.0.1:11311"' in nodes or '"[::1]:11311"' in nodes

    def test_a_node_whose_name_does_not_resolve_is_a_command_error(self):
        with pytest.raises(CommandError, match="does not resolve"):
            nginx_config("--memcached=no-such-host.invalid:11211")

    @pytest.mark.parametrize("args", [["--app=nonsense"], ["--memcached=a:b"], ["--run-dir=/tmp"],
                                      ["--listen=1.2.3.4"]])
    def test_bad_arguments_are_command_errors(self, args):
        with pytest.raises(CommandError):
            nginx_config(*args)


class TestServerNames:
    def test_allowed_hosts_become_server_names(self):
        assert server_names(["Site.Test", ".site.test", "localhost", "site.test"]) == (".site.test localhost", True)

    def test_star_accepts_every_host(self):
        assert server_names(["*"]) == ("_", False)


class TestCacheKeyCommand:
    def test_prints_the_nginx_key(self):
        out = io.StringIO()
        call_command("cache_key", "http://SITE.TEST:80/a%61?", stdout=out)
        assert out.getvalue().strip() == page_key("site.test", "/a%61?")

    def test_relative_url_is_refused(self):
        with pytest.raises(CommandError, match="not an absolute"):
            call_command("cache_key", "/posts/")
