    -- Missing pages (deploy/nginx/missing.lua, rendered by `./manage.py nginx_config`):
    -- an answer Django says may be kept (X-Cache-Missing: keep <kind> <token>,
    -- cachekeys.missing: a 404, or the 301 from a junk spelling to its page) is kept in
    -- this Nginx's shared dict cachekeys_missing and answered from there the next time,
    -- so a missing URL costs Django once, not on every request (X-Cache: HIT).
    --
    -- A kept 404 is the site's page with its shared parts as includes; they are put in
    -- when it is answered (first_tier.lua's assembly), so it shows the sidebar of now.
    --
    -- Bounded: the dict is MISSING_MB big and evicts its least recently used entries; an
    -- entry is one line (the key, its kind, a token, a digest) and the answer itself is
    -- kept once per distinct body (the site's 404 page is the same for every URL). Never
    -- memcached, never the database.
    --
    -- A junk spelling's 301 (/p%6fsts/x/ -> /posts/x/) is served while this Nginx's first
    -- tier holds the page it points at, whatever the token: that page is there and fresh.
    --
    -- Fresh at once: each entry carries the token memcached held for its kind when the
    -- answer was rendered. Every purge deletes the routed token (paths a view answers:
    -- content may appear there); the unrouted one goes only with purges of written
    -- addresses or of everything. An entry is only served while its kind's token is the
    -- same. The routed token is read on every request that reaches the miss location (a
    -- memcached get, microseconds), never on a hit; memcached unreachable means no entry
    -- is served.
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

        local function current_token(kind)
            local res = ngx.location.capture("/_cachekeys/missing-token/" .. kind, { method = ngx.HTTP_GET })
            if res.status ~= 200 or res.truncated or res.body == "" then return nil end
            return res.body
        end

        -- A kept answer: "<status>\n", its header lines, a blank line, its body.
        local function send(page)
            local first = page:find("\n", 1, true)
            local split = first and page:find("\n\n", first, true)
            local status = first and tonumber(page:sub(1, first - 1))
            if not (split and status) then return false end
            for line in page:sub(first + 1, split):gmatch("[^\n]+") do
                local name, value = line:match("^([^:]+): (.*)$")
                if name then ngx.header[name] = value end
            end
            -- Its shared parts are put in as a hit's are (from the tier or memcached):
            -- left to the SSI filter, each include would be proxied to Django on every
            -- request. Missing a part (Django down, say), the SSI filter fetches it.
            local body, _, complete = cachekeys_tier.assemble(page:sub(split + 2))
            if not complete then body = page:sub(split + 2) end
            ngx.status = status
            ngx.header["Content-Length"] = #body
            ngx.header["X-Cache"] = "HIT"
            ngx.print(body)  -- HEAD: Nginx sends the headers only
            ngx.exit(ngx.HTTP_OK)
            return true
        end

        -- Access phase of the miss location: answer a kept answer, or note the routed
        -- token the answer Django is about to give may be kept under.
        local function check()
            local key = ngx.var.memcached_key
            if key == nil or key == "" then return end
            ngx.ctx.missing_key = key
            local routed = nil
            local entry = entries:get("k:" .. key)
            if entry then
                local kind, kept_token, digest, target = entry:match("^(%a) (%S+) (%x+) ?(%x*)$")
                local page = digest and entries:get("b:" .. digest)
                -- A junk spelling's 301 stands while the tier holds the page it points at
                -- (fresh, there): no token to read, and a publish elsewhere leaves it be.
                if page and target ~= "" and cachekeys_tier.holds_page(target) and send(page) then return end
                local token = kind and current_token(kind)
                if token and kept_token == token and page and send(page) then return end
                entries:delete("k:" .. key)  -- from before a purge, or its page was evicted
                if kind == "{{ missing_routed }}" then routed = token or false end
            end
            if routed == nil then routed = current_token("{{ missing_routed }}") end
            -- "none": memcached holds no token (Django makes one and names it in its answer).
            ngx.req.set_header("X-Cache-Missing-Token", routed or "none")
        end

        -- Header filter of the miss location: keep this answer if Django said so.
        local function header()
            local ctx = ngx.ctx
            local said = ngx.header["X-Cache-Missing"]
            ngx.header["X-Cache-Missing"] = nil  -- between Django and Nginx only
            local kind, token, target = nil, nil, nil
            if type(said) == "string" then kind, token, target = said:match("^keep (%a) (%S+) ?(%x*)$") end
            local status = ngx.status
            if not (token and ctx.missing_key and (status == 404 or status == 301)
                    and ngx.req.get_method() == "GET") then
                return
            end
            ctx.missing_token = kind .. " " .. token
            ctx.missing_target = target
            local lines = {}
            for name, value in pairs(ngx.resp.get_headers()) do
                if not SKIPPED[name:lower()] and type(value) == "string" and not value:find("\n", 1, true) then
                    lines[#lines + 1] = name .. ": " .. value .. "\n"
                end
            end
            table.sort(lines)  -- the same page gives the same digest whatever the order
            ctx.missing = { head = status .. "\n" .. table.concat(lines) .. "\n", chunks = {}, size = 0 }
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
            local target = ctx.missing_target ~= "" and " " .. ctx.missing_target or ""
            entries:set("k:" .. ctx.missing_key, ctx.missing_token .. " " .. digest .. target, TTL)
        end

        -- A purge of everything reached this Nginx (first_tier.lua).
        local function forget_all()
            entries:flush_all()
        end

        return { check = check, header = header, body = body, forget_all = forget_all }
    end)()
