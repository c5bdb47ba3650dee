vcl 4.1;
# Varnish as a competent operator sets it up in front of this magazine's gunicorn, for the
# benchmark's comparison (bench/servers.py fills in the backend). Readers have no session:
# cookies go; tracking parameters are taken off the URL that is looked up (the page is the
# same); every text answer is stored gzip; pages live an hour, missing pages a minute, and
# a page past its TTL is served for 6 hours more while it is fetched again (grace). A
# publish bans the pages it changes (BAN from the CMS host, X-Ban-Url: a regex of URLs).
import std;

backend default {
    .host = "@BACKEND_HOST@";
    .port = "@BACKEND_PORT@";
    .first_byte_timeout = 60s;
}

acl purgers {
    "127.0.0.1";
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        if (std.ban("req.url ~ " + req.http.X-Ban-Url)) {
            return (synth(200, "Banned"));
        }
        return (synth(400, std.ban_error()));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(admin|_)") {
        return (pass);  # editors, with their session
    }
    unset req.http.Cookie;
    set req.url = regsub(req.url, "#.*$", "");
    if (req.url ~ "[?&](utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|_gl|igshid|yclid|twclid|ref_src)=") {
        set req.url = regsuball(req.url, "(?<=[?&])(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|_gl|igshid|yclid|twclid|ref_src)=[^&]*(&|$)", "");
        set req.url = regsub(req.url, "[?&]+$", "");
    }
    set req.url = std.querysort(req.url);
    return (hash);
}

sub vcl_backend_response {
    unset beresp.http.Set-Cookie;
    if (beresp.http.Content-Type ~ "^(text/|application/(json|xml|rss\+xml|atom\+xml|javascript))") {
        set beresp.do_gzip = true;
    }
    if (beresp.status >= 500) {
        set beresp.ttl = 0s;
        set beresp.grace = 6h;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (beresp.status == 404 || beresp.status == 410) {
        set beresp.ttl = 60s;
    } else {
        set beresp.ttl = 1h;
    }
    set beresp.grace = 6h;
    return (deliver);  # past the built-in rules: Django's Cache-Control and Vary: Cookie do not apply here
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
