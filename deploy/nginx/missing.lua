    -- Missing pages (deploy/nginx/missing.lua, rendered by `./manage.py nginx_config`):
    -- a 404 Django says may be kept (X-Cache-Missing: keep, cachekeys.missing) is kept in
    -- this Nginx's shared dict cachekeys_missing and answered from there the next time,
    -- so a missing URL costs Django once, not on every request (X-Cache: HIT, status 404).
    --
    -- Bounded: the dict is MISSING_MB big and evicts its least recently used entries; an
    -- entry is one line (the key, a token, a digest) and the page itself is kept once per
    -- distinct body (the site's 404 page is the same for every URL). Never memcached,
    -- never the database.
    --
    -- Fresh at once: each entry carries the token memcached held under MISSING_TOKEN when
    -- this Nginx sent the request to Django. Every purge deletes that token (Django makes
    -- a new one on its next kept 404), and an entry is only served while the token is the
    -- same, so content that appears at a URL after a save is served at once. The token is
    -- read on every request that reaches the miss location (a memcached get, microseconds),
    -- never on a hit; memcached unreachable means no entry is served.
    cachekeys_missing = (function()
        local entries = ngx.shared.cachekeys_missing
        local TTL = {{ missing_seconds }}
        local MAX_BODY = 262144  -- bytes; a larger 404 is not kept
        -- Headers a kept 404 does not repeat: Nginx sets them, or they describe the
        -- connection or the miss itself.
        local SKIPPED = { ["content-length"] = true, ["connection"] = true, ["keep-alive"] = true,
                          ["transfer-encoding"] = true, ["date"] = true, ["server"] = true,
                          ["x-cache"] = true, ["x-cache-reason"] = true, ["x-cache-missing"] = true,
                          ["set-cookie"] = true, ["vary"] = true, ["content-encoding"] = true }

        local function current_token()
            local res = ngx.location.capture("/_cachekeys/missing-token", { method = ngx.HTTP_GET })
            if res.status ~= 200 or res.truncated or res.body == "" then return nil end
            return res.body
        end

        local function send(page)
            local split = page:find("\n\n", 1, true)
            if not split then return false end
            for line in page:sub(1, split):gmatch("[^\n]+") do
                local name, value = line:match("^([^:]+): (.*)$")
                if name then ngx.header[name] = value end
            end
            local body = page:sub(split + 2)
            ngx.status = 404
            ngx.header["Content-Length"] = #body
            ngx.header["X-Cache"] = "HIT"
            ngx.print(body)  -- HEAD: Nginx sends the headers only
            ngx.exit(ngx.HTTP_OK)
            return true
        end

        -- Access phase of the miss location: answer a kept 404, or note the token the
        -- answer Django is about to give will be kept under.
        local function check()
            local key = ngx.var.memcached_key
            if key == nil or key == "" then return end
            local token = current_token()
            -- "none": memcached holds no token (Django makes one and names it in its answer).
            ngx.req.set_header("X-Cache-Missing-Token", token or "none")
            ngx.ctx.missing_key = key
            if not token then return end
            local entry = entries:get("k:" .. key)
            if entry then
                local kept_token, digest = entry:match("^(%S+) (%x+)$")
                local page = digest and entries:get("b:" .. digest)
                if kept_token == token and page and send(page) then return end
                entries:delete("k:" .. key)  -- from before a purge, or its page was evicted
            end
        end

        -- Header filter of the miss location: keep this answer if Django said so.
        local function header()
            local ctx = ngx.ctx
            local said = ngx.header["X-Cache-Missing"]
            ngx.header["X-Cache-Missing"] = nil  -- between Django and Nginx only
            local token = type(said) == "string" and said:match("^keep (%S+)$")
            if not (token and ctx.missing_key and ngx.status == 404 and ngx.req.get_method() == "GET") then
                return
            end
            ctx.missing_token = token
            local lines = {}
            for name, value in pairs(ngx.resp.get_headers()) do
                if not SKIPPED[name:lower()] and type(value) == "string" and not value:find("\n", 1, true) then
                    lines[#lines + 1] = name .. ": " .. value .. "\n"
                end
            end
            table.sort(lines)  -- the same page gives the same digest whatever the order
            ctx.missing = { head = table.concat(lines) .. "\n", chunks = {}, size = 0 }
        end

        -- Body filter of the miss location: collect the kept answer, store it at the end.
        local function body()
            local ctx = ngx.ctx
            local kept = ctx.missing
            if not kept then return end
            local chunk, eof = ngx.arg[1], ngx.arg[2]
            kept.size = kept.size + #chunk
            if kept.size > MAX_BODY then ctx.missing = nil return end
            kept.chunks[#kept.chunks + 1] = chunk
            if not eof then return end
            ctx.missing = nil
            local page = kept.head .. table.concat(kept.chunks)
            local digest = ngx.md5(page)
            -- set, not add: each keep renews the shared page's life with its entry's.
            entries:set("b:" .. digest, page, TTL)
            entries:set("k:" .. ctx.missing_key, ctx.missing_token .. " " .. digest, TTL)
        end

        return { check = check, header = header, body = body }
    end)()
