-- A chat server for one item: plain HTTP on the item's private network, no TLS, no federation.
local domain = Lua.os.getenv("CHAT_DOMAIN") or "the-agent-company.com"
plugin_paths = { "/usr/share/prosody-modules", "/usr/lib/prosody/modules" }
modules_enabled = { "roster", "saslauth", "disco", "ping", "mam", "offline", "http", "rest" }
modules_disabled = { "s2s", "tls" }
pidfile = "/tmp/prosody.pid"
data_path = "/var/lib/prosody"
authentication = "internal_plain"
storage = "sql"
sql = { driver = "SQLite3", database = "prosody.sqlite" }
archive_expires_after = "never"
default_archive_policy = true
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
http_ports = { 5280 }
http_interfaces = { "*" }
https_ports = { }
http_default_host = domain
log = { { levels = { min = "info" }, to = "console" } }
VirtualHost (domain)
