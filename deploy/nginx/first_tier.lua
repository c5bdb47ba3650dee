    -- Serving pages (deploy/nginx/first_tier.lua, rendered by `./manage.py nginx_config`).
    --
    -- The stored value (cachekeys.value): "CK1 <status>\n", the header lines a hit repeats,
    -- "\n", then the body, gzip when memcached's flag says so (Content-Encoding from
    -- memcached_gzip_flag). Every hit is answered here with that status and those headers.
    --
    -- The first tier: pages this Nginx served lately, in a shared dict (every worker reads
    -- the same copy; the least recently used go first when the budget is full), so a hit
    -- costs neither a memcached round trip nor a decompression. Per page key K:
    --   m:K  "<fragment deps>\n" .. the header block   z:K  the body as gzip
    --   p:K  the body plain (kept once a client without gzip asked for it)
    --   s:K  the md5 of the memcached body it was made from, then m:K's text
    --
    -- Only m:K has the time to live (TTL): a page is served from the tier while m:K is
    -- there. When it lapses, the next hit reads memcached again, and if memcached still
    -- holds what s:K names, m:K is set again and the assembled bodies stay: revalidating a
    -- page costs one read, not an inflate, an assembly and a deflate. z:K, p:K and s:K go
    -- by recency alone, or with a purge.
    --
    -- Freshness (cachekeys.deletes says why this is enough): one timer per Nginx polls the
    -- purge log in memcached every POLL seconds, deletes the keys each record names, and
    -- stamps when its last complete poll started; a worker serves from the tier only while
    -- that stamp is younger than WINDOW. A fill that began before a purge was applied is
    -- never kept (the generation "gen" is read before and compared after).
    --
    -- Fragments: only `<!--# include virtual="/_fragments/..." wait="yes" -->` is honoured
    -- on hits (cachekeys.fragments).
    -- A page's fragments are put in when it is filled; the tier remembers which version
    -- of each it used (f:K in the state dict, bumped by every purge of K), and a hit whose
    -- fragment changed is read from memcached and assembled again with the fresh fragment.
    --
    -- Hottest pages, per worker: the last HOT_PAGES answers this worker gave from the
    -- tier, as Lua strings, so the hottest hits copy nothing out of shared memory. Each is
    -- tagged with the generation it was read under and is served only while "gen" is the
    -- same (every applied purge record, fragment purges too, bumps it), and never past its
    -- shared copy's time to live.
    cachekeys_tier = (function()
        local ffi = require "ffi"
        local lrucache = require "resty.lrucache"
        local pages = ngx.shared.cachekeys_pages
        local state = ngx.shared.cachekeys_state
        local TIER = {{ first_tier_lua }}
        local TTL = {{ first_tier_ttl }}
        local POLL = {{ purge_poll }}
        local WINDOW = {{ purge_window }}
        local IO_TIMEOUT = {{ memcached_timeout_ms }}
        local MAX_BODY = 16 * 1024 * 1024
        -- The memcached nodes, their names resolved when the config was rendered (as Nginx
        -- resolves the upstream's), for the purge log's reader (cachekeys.nginx.socket_address).
        local NODES = { {% for server in memcached_sockets %}"{{ server }}", {% endfor %}}
        local LOG_COUNTER, LOG_EPOCH, LOG_RECORD = {{ log_counter }}, {{ log_epoch }}, {{ log_record }}
        local GRACE = {{ grace_prefix }}
        local MAX_BEHIND = 200  -- records read per poll; further behind, forget the tier
        local UNAVAILABLE_PAGE = {{ unavailable_page }}
        local RETRY_AFTER = "{{ retry_after }}"
        local INCLUDE = {{ include_pattern }}  -- cachekeys.fragments.LUA_INCLUDE_PATTERN

        local function key_of(uri)  -- the key of a clean URI (a fragment's), as cachekeys_key
            return {{ key_expression }}
        end

        -- zlib is linked into Nginx (its gzip modules); the struct has a name of our own
        -- so another module's declarations cannot clash with it.
        local declared = pcall(ffi.cdef, [[
            typedef struct {
                const char *next_in; unsigned int avail_in; unsigned long total_in;
                unsigned char *next_out; unsigned int avail_out; unsigned long total_out;
                const char *msg; void *state; void *zalloc; void *zfree; void *opaque;
                int data_type; unsigned long adler; unsigned long reserved;
            } cachekeys_z_stream;
            const char *zlibVersion(void);
            int inflateInit2_(cachekeys_z_stream *strm, int bits, const char *version, int size);
            int inflate(cachekeys_z_stream *strm, int flush);
            int inflateEnd(cachekeys_z_stream *strm);
            int deflateInit2_(cachekeys_z_stream *strm, int level, int method, int bits,
                              int memLevel, int strategy, const char *version, int size);
            unsigned long deflateBound(cachekeys_z_stream *strm, unsigned long length);
            int deflate(cachekeys_z_stream *strm, int flush);
            int deflateEnd(cachekeys_z_stream *strm);
        ]])
        local function load_zlib()
            if pcall(function() return ffi.C.inflate end) then return ffi.C end
            local ok, library = pcall(ffi.load, "libz.so.1")
            return ok and library or nil
        end
        local zlib = declared and load_zlib() or nil

        -- Inflate a whole gzip member in one call, into a buffer of the size its trailer
        -- states (ISIZE). nil when zlib is missing or the bytes are not what they claim.
        local function inflate(data)
            local n = #data
            if not zlib or n < 18 then return nil end
            local a, b, c, d = data:byte(n - 3, n)
            local size = a + b * 256 + c * 65536 + d * 16777216
            if size > MAX_BODY then return nil end
            if size == 0 then return "" end
            local out = ffi.new("unsigned char[?]", size)
            local stream = ffi.new("cachekeys_z_stream")
            -- 31: a gzip header and trailer around the deflate data
            if zlib.inflateInit2_(stream, 31, zlib.zlibVersion(), ffi.sizeof(stream)) ~= 0 then
                return nil
            end
            stream.next_in, stream.avail_in = data, n
            stream.next_out, stream.avail_out = out, size
            local status = zlib.inflate(stream, 4)  -- Z_FINISH
            local produced = size - stream.avail_out
            zlib.inflateEnd(stream)
            if status ~= 1 then return nil end  -- Z_STREAM_END
            return ffi.string(out, produced)
        end

        -- Compress an assembled page once, when it is filled (never per hit).
        local function deflate(data)
            if not zlib then return nil end
            local stream = ffi.new("cachekeys_z_stream")
            -- level 6, Z_DEFLATED, gzip wrapper (31), memLevel 8, default strategy
            if zlib.deflateInit2_(stream, 6, 8, 31, 8, 0, zlib.zlibVersion(), ffi.sizeof(stream)) ~= 0 then
                return nil
            end
            local bound = tonumber(zlib.deflateBound(stream, #data))
            local out = ffi.new("unsigned char[?]", bound)
            stream.next_in, stream.avail_in = data, #data
            stream.next_out, stream.avail_out = out, bound
            local status = zlib.deflate(stream, 4)  -- Z_FINISH
            local produced = bound - stream.avail_out
            zlib.deflateEnd(stream)
            if status ~= 1 then return nil end
            return ffi.string(out, produced)
        end

        -- The header block's parsed form, per worker, by the block's own string.
        local parsed_heads = lrucache.new(4096)
        -- At most HOT_PAGES x (gzip + plain page) per worker (cachekeys.nginx.HOT_PAGES).
        local HOT_PAGES = {{ hot_pages }}
        local hot = lrucache.new(HOT_PAGES)

        -- meta is "<deps>\n" .. "CK1 <status>\n" .. header lines .. "\n"
        local function parse_meta(meta)
            local info = parsed_heads:get(meta)
            if info then return info end
            local deps_end = meta:find("\n", 1, true)
            local status_end = meta:find("\n", deps_end + 1, true)
            if not status_end or meta:sub(deps_end + 1, deps_end + 4) ~= "CK1 " then return nil end
            info = { status = tonumber(meta:sub(deps_end + 5, status_end - 1)), headers = {}, deps = {} }
            if not info.status then return nil end
            for name, value in meta:sub(status_end + 1):gmatch("([^:\n]+): ([^\n]*)\n") do
                info.headers[#info.headers + 1] = { name, value }
            end
            for fragment, version in meta:sub(1, deps_end - 1):gmatch("(%x+)=(%d+)") do
                info.deps[#info.deps + 1] = { "f:" .. fragment, tonumber(version) }
            end
            parsed_heads:set(meta, info)
            return info
        end

        -- Split a stored value into its header block and body; nil if not one of ours.
        local function split(raw)
            if raw:sub(1, 4) ~= "CK1 " then return nil end
            local head_end = raw:find("\n\n", 5, true)
            if not head_end then return nil end
            return raw:sub(1, head_end + 1), raw:sub(head_end + 2)
        end

        local function count(name)
            state:incr(name, 1, 0)
        end

        local function usable()
            if not TIER then return false end
            local polled = state:get("polled")
            return polled ~= nil and ngx.now() - polled < WINDOW
        end

        local function generation()
            return state:get("gen") or 0
        end

        -- Keep items unless a purge was applied since `gen0` (read before the memcached
        -- read began). Checked again after writing: a purge applied by the poller in
        -- between bumped the generation first, so one of the two checks sees it.
        -- An item whose value is false is deleted: a copy from an older fill must not
        -- stay beside a newer one.
        --
        -- ``gated``: the items are a page's bodies and source (z:, p:, s:), served only
        -- while the page's m: is there, so they have no TTL of their own; m: has one, and so
        -- has everything of a fragment (its p: is served as it is).
        local function keep(gen0, items, gated)
            if generation() ~= gen0 then return end
            for name, value in pairs(items) do
                if value == false then
                    pages:delete(name)
                else
                    local ttl = (gated and name:sub(1, 2) ~= "m:") and 0 or TTL
                    local ok, _, forcible = pages:set(name, value, ttl)
                    if forcible then
                        count("evictions")
                        cachekeys_metrics.tier_evicted(1)  -- metrics.lua
                    end
                end
            end
            if generation() ~= gen0 then
                for name in pairs(items) do pages:delete(name) end
            end
        end

        -- One read of memcached through the internal location (the upstream's consistent
        -- hash picks the node, as Django's ring does); nil on a miss or a failure.
        local function read(key)
            count("memcached_reads")
            -- GET even for HEAD: a HEAD subrequest would bring back no body.
            local res = ngx.location.capture("/_cachekeys/page/" .. key, { method = ngx.HTTP_GET })
            if res.status ~= 200 or res.truncated then return nil end
            local head, body = split(res.body)
            if not head then return nil end  -- an older format: Django renders and overwrites it
            local zipped = res.header["Content-Encoding"] == "gzip"
            return { head = head, body = body, zipped = zipped }
        end

        local function plain_of(value)
            if value.zipped then return inflate(value.body) end
            return value.body
        end

        -- Django renders `uri` (a fragment) and stores it, as for any miss.
        local function render(uri, key)
            local res = ngx.location.capture("/_cachekeys/render", {
                method = ngx.HTTP_GET, vars = { cachekeys_uri = uri, cachekeys_key = key } })
            if res.status == 200 and not res.truncated then return res.body end
            return nil
        end

        -- One render per page or fragment per Nginx, like Django's coalescing but without a
        -- worker of Django's held per waiting reader: the first request to miss claims it
        -- (c:K in the state dict: "r <claimant>" while it renders, then "s" once stored,
        -- "u" when not) and goes to Django; the others wait here, then read what it stored
        -- like any hit, or go on to Django themselves ("u", no claim, WAIT_SECONDS gone).
        -- A claim only spares Django work: a waiter serves nothing but what memcached or
        -- the tier holds, as any hit would. Purges delete the claims of their keys.
        local CLAIM_SECONDS = 10
        local WAIT_SECONDS = 5

        -- Who holds a claim: this request, the same across its internal redirects (unlike
        -- $request_id, made again after one).
        local function claimant()
            return "r " .. ngx.worker.pid() .. " " .. ngx.var.connection .. " " .. ngx.var.connection_requests
        end

        local function claim(key)
            return (state:add("c:" .. key, claimant(), CLAIM_SECONDS))
        end

        -- Sleep until the claim on ``key`` is settled; its state then ("s", "u" or nil).
        local function await_claim(key, ready)
            local waited, step = 0, 0.002
            while waited < WAIT_SECONDS do
                ngx.sleep(step)
                waited, step = waited + step, math.min(step * 2, 0.05)
                if ready and ready() then return "s" end
                local said = state:get("c:" .. key)
                if said == nil or said:sub(1, 1) ~= "r" then return said end
            end
            return nil
        end

        -- Django renders a fragment a hit needs, once per Nginx however many hits need it.
        local function render_fragment(uri, key, gen0, tiered)
            if not tiered then return render(uri, key) end
            if claim(key) then
                local body = render(uri, key)
                if body then keep(gen0, { ["p:" .. key] = body }) end
                state:delete("c:" .. key)
                return body
            end
            local function in_tier() return pages:get("p:" .. key) ~= nil end
            await_claim(key, in_tier)
            return pages:get("p:" .. key) or render(uri, key)
        end

        -- A fragment's body (plain) and the version it had when read; nil if unavailable.
        local function fragment(uri)
            local key = key_of(uri)
            state:add("f:" .. key, 0, 0)  -- now a known fragment: its purges bump this
            local version = state:get("f:" .. key) or 0
            local tiered = usable()
            if tiered then
                local body = pages:get("p:" .. key)
                if body then return body, key, version end
            end
            local gen0 = generation()
            local value = read(key)
            local body = value and plain_of(value)
            if value and not body then return nil end
            if body and value.head:sub(5, 8) ~= "200\n" then return nil end
            body = body or render_fragment(uri, key, gen0, tiered)
            if not body then
                local grace = read(GRACE .. key)  -- Django down: the fragment's grace copy
                return grace and plain_of(grace), key, version
            end
            if tiered then keep(gen0, { ["p:" .. key] = body }) end
            return body, key, version
        end

        -- Put the page's fragments in; returns the page, its deps ("" when it has none)
        -- and whether every fragment was found (an incomplete page is never kept).
        local function assemble(plain)
            if not plain:find("<!--# include", 1, true) then return plain, "", true end
            local parts, deps, last, complete = {}, {}, 1, true
            while true do
                local from, to, uri = plain:find(INCLUDE, last)
                if not from then break end
                parts[#parts + 1] = plain:sub(last, from - 1)
                local body, key, version = fragment(uri)
                if body then
                    parts[#parts + 1] = body
                    deps[#deps + 1] = key .. "=" .. version
                else
                    complete = false
                end
                last = to + 1
            end
            parts[#parts + 1] = plain:sub(last)
            return table.concat(parts), table.concat(deps, " "), complete
        end

        local function wants_gzip()
            -- Nginx's own test (gzip_http_version, q=0) has more rules; a client refusing
            -- gzip with q=0 is answered plain.
            local accepted = ngx.var.http_accept_encoding
            return accepted ~= nil and accepted:find("gzip", 1, true) ~= nil
                and not accepted:find("gzip;%s*q=0[^.1-9]") and not accepted:find("gzip;%s*q=0$")
        end

        local function send(info, body, zipped, outcome)
            ngx.status = info.status
            local header = ngx.header
            for _, pair in ipairs(info.headers) do header[pair[1]] = pair[2] end
            header["Content-Length"] = #body
            if zipped then header["Content-Encoding"] = "gzip" end
            header["Vary"] = "Accept-Encoding"
            header["X-Cache"] = outcome
            ngx.print(body)  -- HEAD: Nginx sends the headers only
        end

        -- The md5 of a value read from memcached, computed once (a lapsed page whose copy
        -- is not good again is revalidated, then filled: both compare or keep it).
        local function digest(value)
            value.md5 = value.md5 or ngx.md5(value.body)
            return value.md5
        end

        -- Build the entry for a value read from memcached: assembled, both forms ready
        -- for this client; kept when the tier is usable and the page complete.
        local function fill(key, value, gen0, tiered, gzip_client)
            local plain = plain_of(value)
            if not plain then return nil end
            local page, deps, complete = assemble(plain)
            local meta = deps .. "\n" .. value.head
            local entry = { info = parse_meta(meta), plain = page }
            if not entry.info then return nil end
            if deps == "" then
                entry.gzip = value.zipped and value.body or nil
            elseif gzip_client then
                entry.gzip = deflate(page)
            end
            if tiered and complete then
                -- Both forms: the one this client does not need is dropped (made again
                -- from the other when asked), never left from an older fill.
                local items = { ["m:" .. key] = meta, ["z:" .. key] = entry.gzip or false, ["p:" .. key] = false,
                                ["s:" .. key] = digest(value) .. meta }
                if not gzip_client or not entry.gzip then items["p:" .. key] = page end
                count("fills")
                keep(gen0, items, true)
            end
            return entry
        end

        -- From the tier: the entry, or nil (absent, or a fragment changed since it was
        -- assembled: then memcached's copy is assembled again). ``gen0`` was read before
        -- anything here: a form made from the other is kept only if no purge came since
        -- (read after the fragment check, a purge in between would let a stale page in).
        local function from_tier(key, gzip_client, gen0)
            local meta = pages:get("m:" .. key)
            if not meta then return nil end
            local info = parse_meta(meta)
            if not info then return nil end
            for _, dep in ipairs(info.deps) do
                -- A fragment changed: assembled again from memcached's copy, as on a miss
                -- (keeping the page before assembly too would triple a page's share of
                -- the budget for what only a fragment's purge needs).
                if state:get(dep[1]) ~= dep[2] then return nil end
            end
            if gzip_client then
                local body = pages:get("z:" .. key)
                if body then return { info = info, gzip = body } end
                local plain = pages:get("p:" .. key)
                if not plain then return nil end
                body = deflate(plain)  -- first gzip client of an assembled page: compressed once
                if not body then return { info = info, plain = plain } end
                keep(gen0, { ["z:" .. key] = body }, true)
                return { info = info, gzip = body }
            end
            local body = pages:get("p:" .. key)
            if body then return { info = info, plain = body } end
            local zipped = pages:get("z:" .. key)
            if not zipped then return nil end
            body = inflate(zipped)
            if not body then return nil end
            keep(gen0, { ["p:" .. key] = body }, true)  -- the first client without gzip pays once
            return { info = info, plain = body }
        end

        -- The page's m: lapsed (its TTL) but memcached still holds the body the tier's copy
        -- was made from: the copy is good again for a TTL, as it is (no fill). ``value``
        -- was read after ``gen0``; a purge since then leaves the tier as it is (keep).
        local function revalidated(key, value, gzip_client, gen0)
            local source = pages:get("s:" .. key)
            if not source or source:sub(1, 32) ~= digest(value) then return nil end
            local meta = source:sub(33)
            if meta:sub(-#value.head) ~= value.head then return nil end
            keep(gen0, { ["m:" .. key] = meta }, true)
            count("revalidations")
            return from_tier(key, gzip_client, gen0)
        end

        local function respond(entry, gzip_client, outcome)
            if gzip_client and entry.gzip then return send(entry.info, entry.gzip, true, outcome) end
            return send(entry.info, entry.plain, false, outcome)
        end

        -- A page missing from memcached: claim its render (nil: this request goes to Django),
        -- or wait for the one under way and answer what it stored.
        local function awaited_page(key, gzip_client)
            if claim(key) then
                ngx.var.cachekeys_claim = key  -- settled by miss_answered, or release
                return nil
            end
            if await_claim(key) ~= "s" then return nil end
            local gen0 = generation()
            local value = read(key)
            return value and fill(key, value, gen0, usable(), gzip_client)
        end

        -- Header filter of @miss: tell the waiters whether Django stored the page.
        local function miss_answered()
            local key = ngx.var.cachekeys_claim
            if key == nil or key == "" then return end
            ngx.var.cachekeys_claim = ""
            local stored = ngx.header["X-Cache"] == "MISS" and ngx.header["X-Cache-Missing"] == nil
            local said = state:get("c:" .. key)
            if said == claimant() then state:set("c:" .. key, stored and "s" or "u", 1) end
        end

        -- Log phase of every request: a claim its request left unsettled (Django down, the
        -- client gone) is dropped, so no one waits for it.
        local function release()
            local key = ngx.var.cachekeys_claim
            if key == nil or key == "" then return end
            if state:get("c:" .. key) == claimant() then state:delete("c:" .. key) end
        end

        local function serve()
            local key = cachekeys_key()
            if key == "" then return ngx.exec("@django") end
            local gzip_client = wants_gzip()
            local tiered = usable()
            local gen0 = generation()  -- before any read
            local hot_key = gzip_client and key or "p" .. key
            local entry = tiered and hot:get(hot_key)
            if entry and entry.gen == gen0 then
                ngx.var.cachekeys_from = "tier"
                return respond(entry, gzip_client, "HIT")
            end
            entry = tiered and from_tier(key, gzip_client, gen0)
            if entry then
                local left = pages:ttl("m:" .. key)
                if left and left > 0 then
                    entry.gen = gen0
                    hot:set(hot_key, entry, left)
                end
                ngx.var.cachekeys_from = "tier"
                return respond(entry, gzip_client, "HIT")
            end
            local value = read(key)
            entry = value and tiered and revalidated(key, value, gzip_client, gen0)
            entry = entry or (value and fill(key, value, gen0, tiered, gzip_client))
            if not entry and not value and tiered then
                entry = awaited_page(key, gzip_client)
            end
            if not entry then
                ngx.var.memcached_key = key  -- @miss names it to Django
                return ngx.exec("@miss")
            end
            ngx.var.cachekeys_from = "memcached"
            return respond(entry, gzip_client, "HIT")
        end

        -- /_fragments/...: the key Nginx's own proxy names to Django (set_by_lua: no wait).
        local function fragment_key()
            return key_of(ngx.var.uri)
        end

        -- Whether the tier holds the page at ``key`` as a 200, fresh (missing.lua: a junk
        -- spelling's 301 to it still stands).
        local function holds_page(key)
            if not usable() then return false end
            local meta = pages:get("m:" .. key)
            local info = meta and parse_meta(meta)
            return info ~= nil and info.status == 200
        end

        -- SSI includes (in a miss's page, which Nginx's SSI filter puts together): the
        -- tier's copy when it has one. A fetch from memcached here would be a subrequest
        -- of a subrequest, which the SSI filter does not wait for; Django answers those.
        local function tiered_include()
            return usable() and pages:get("p:" .. fragment_key()) ~= nil
        end

        local function include()
            local body = usable() and pages:get("p:" .. fragment_key())
            if not body then return ngx.exec("@fragment_proxy") end
            ngx.var.cachekeys_from = "tier"
            ngx.header["Content-Type"] = "text/html; charset=utf-8"
            ngx.print(body)
        end

        -- No app server answered: the page's grace copy (X-Cache: STALE), else the site's
        -- own 503 page. Never a bare Nginx error page.
        local function unavailable()
            local key = ngx.var.memcached_key
            local method = ngx.req.get_method()
            if key and key ~= "" and (method == "GET" or method == "HEAD") then
                local value = read(GRACE .. key)
                local entry = value and fill(key, value, 0, false, wants_gzip())
                if entry then
                    ngx.var.cachekeys_from = "grace"
                    return respond(entry, wants_gzip(), "STALE")
                end
            end
            ngx.status = 503
            ngx.header["Content-Type"] = "text/html; charset=utf-8"
            ngx.header["Retry-After"] = RETRY_AFTER
            ngx.header["Cache-Control"] = "no-store"
            ngx.header["Content-Length"] = #UNAVAILABLE_PAGE
            ngx.print(UNAVAILABLE_PAGE)
        end

        -- The purge log (cachekeys.deletes): a tiny memcached text-protocol get.
        local function mc_get(sock, names)
            local ok, err = sock:send("get " .. table.concat(names, " ") .. "\r\n")
            if not ok then return nil, err end
            local found = {}
            while true do
                local line, lerr = sock:receive("*l")
                if not line then return nil, lerr end
                if line == "END" then return found end
                local name, bytes = line:match("^VALUE (%S+) %d+ (%d+)$")
                if not name then return nil, "unexpected reply: " .. line:sub(1, 80) end
                local data, derr = sock:receive(tonumber(bytes) + 2)
                if not data then return nil, derr end
                found[name] = data:sub(1, -3)
            end
        end

        -- Everything goes, kept answers too (missing.lua): a junk spelling's 301 would
        -- otherwise stand again as soon as its page is back in the tier.
        local function forget_all()
            state:incr("gen", 1, 0)  -- first, so a fill under way sees it (see keep)
            pages:flush_all()
            cachekeys_missing.forget_all()
            count("flushes")
        end

        local function apply(record)
            if record == "*" then return forget_all() end
            state:incr("gen", 1, 0)
            for key in record:gmatch("%x+") do
                pages:delete("m:" .. key)
                pages:delete("z:" .. key)
                pages:delete("p:" .. key)
                pages:delete("s:" .. key)
                state:delete("c:" .. key)  -- a render under way read what was before
                state:incr("f:" .. key, 1)  -- only if it is a fragment some page used
            end
            count("records")
        end

        local missing_since = {}

        -- Bring this Nginx up to date with one node's log; true when that is done.
        local function catch_up(sock, node, found)
            local seq = tonumber((found[LOG_COUNTER] or ""):match("%d+") or "")
            local epoch = found[LOG_EPOCH]
            local applied, known_epoch = state:get("a:" .. node), state:get("e:" .. node)
            if not seq then
                -- No log on this node: never written, or the node restarted or was flushed.
                -- If it had one, records may be gone with it.
                if applied and applied > 0 then forget_all() end
                state:set("a:" .. node, 0)
                state:set("e:" .. node, "")
                return true
            end
            epoch = epoch or ""
            if applied == nil then  -- this Nginx's first poll: its tier is still empty
                state:set("e:" .. node, epoch)
                state:set("a:" .. node, seq)
                return true
            end
            if applied == 0 and known_epoch == "" then
                state:set("e:" .. node, epoch)  -- a log begun since the last poll: read it all
            elseif epoch ~= known_epoch or seq < applied or seq - applied > MAX_BEHIND then
                forget_all()  -- a new log, or too far behind: records may be lost
                state:set("e:" .. node, epoch)
                state:set("a:" .. node, seq)
                return true
            end
            if seq == applied then return true end
            local names = {}
            for n = applied + 1, seq do names[#names + 1] = LOG_RECORD .. n end
            local records, err = mc_get(sock, names)
            if not records then return nil, err end
            for n = applied + 1, seq do
                local record = records[LOG_RECORD .. n]
                if record == nil then
                    -- Django writes the record just after the counter; if it stays missing
                    -- (evicted), forget everything rather than miss a purge.
                    local since = missing_since[node] or ngx.now()
                    missing_since[node] = since
                    if ngx.now() - since < 1 then
                        state:set("a:" .. node, n - 1)
                        return nil, "record " .. n .. " not there yet"
                    end
                    forget_all()
                    break
                end
                apply(record)
            end
            missing_since[node] = nil
            state:set("a:" .. node, seq)
            return true
        end

        local function poll_node(node)
            local sock = ngx.socket.tcp()
            sock:settimeouts(IO_TIMEOUT, IO_TIMEOUT, IO_TIMEOUT)
            local host, port = node:match("^%[?(.-)%]?:(%d+)$")
            local ok, err = sock:connect(host, tonumber(port))
            if not ok then return nil, err end
            local found
            found, err = mc_get(sock, { LOG_COUNTER, LOG_EPOCH })
            if not found then
                sock:close()
                return nil, err
            end
            ok, err = catch_up(sock, node, found)
            if ok then sock:setkeepalive(60000, 2) else sock:close() end
            return ok, err
        end

        local polling, last_complaint = false, 0

        -- One poll: every node, at once. Complete only if every node answered.
        local function poll(premature)
            if premature or polling then return end
            polling = true
            ngx.update_time()
            local started = ngx.now()
            local threads = {}
            for i, node in ipairs(NODES) do threads[i] = ngx.thread.spawn(poll_node, node) end
            local complete, problem = true, nil
            for i, thread in ipairs(threads) do
                local alive, ok, err = ngx.thread.wait(thread)
                if not (alive and ok) then
                    complete = false
                    problem = NODES[i] .. ": " .. tostring(alive and err or ok)
                end
            end
            -- What the tier holds, for metrics.lua: reported by this one worker only, as the
            -- tier is shared by all of them.
            cachekeys_metrics.tier_held(pages:capacity() - pages:free_space())
            if complete then
                state:set("polled", started)
            else
                count("polls_incomplete")
                if started - last_complaint > 10 then
                    last_complaint = started
                    ngx.log(ngx.WARN, "cachekeys first tier: purge log unreadable (", problem,
                            "); serving from memcached until it is")
                end
            end
            polling = false
        end

        local function start()
            -- Fills make large short-lived strings (a page inflated, assembled, deflated):
            -- collect when the heap has grown by a fifth, not doubled (LuaJIT's default),
            -- so a worker's own memory stays small beside the shared tier.
            collectgarbage("setpause", 120)
            if TIER and ngx.worker.id() == 0 then
                ngx.timer.every(POLL, function(premature)
                    local ok, err = pcall(poll, premature)
                    if not ok then
                        polling = false
                        ngx.log(ngx.ERR, "cachekeys first tier: poll failed: ", err)
                    end
                end)
                ngx.timer.at(0, poll)
            end
        end

        -- Loopback only: what the tier holds and did (the benchmark and ops read it).
        local function status()
            local polled = state:get("polled")
            local fields = {
                '"tier": ' .. tostring(TIER),
                '"usable": ' .. tostring(usable()),
                '"capacity_bytes": ' .. pages:capacity(),
                '"free_bytes": ' .. pages:free_space(),
                '"polled_seconds_ago": ' .. (polled and string.format("%.3f", ngx.now() - polled) or "null"),
            }
            for _, name in ipairs({ "fills", "revalidations", "evictions", "memcached_reads", "flushes",
                                    "records", "polls_incomplete" }) do
                fields[#fields + 1] = '"' .. name .. '": ' .. (state:get(name) or 0)
            end
            ngx.header["Content-Type"] = "application/json"
            ngx.say("{", table.concat(fields, ", "), "}")
        end

        return { serve = serve, fragment_key = fragment_key, unavailable = unavailable,
                 start = start, status = status, assemble = assemble,
                 include = include, tiered_include = tiered_include,
                 holds_page = holds_page, miss_answered = miss_answered, release = release }
    end)()
