    -- The first tier (NGINX_FIRST_TIER): pages this worker served lately, kept in its own
    -- memory so a hit costs neither a round trip to memcached nor a copy out of shared
    -- memory. Each page is kept twice, as stored (gzip) and inflated once here, so no
    -- client costs a decompression per hit.
    --
    -- Freshness. An entry lives at most TTL seconds from the moment its memcached read
    -- began, and is marked with the purge generation read before that read. A purge
    -- (POST to the purge location, sent by cachekeys.tier after the app has deleted the
    -- keys from memcached) bumps the generation, which every worker reads on every hit:
    -- an entry marked with an older one is never served again, however its fill raced
    -- the purge.
    cachekeys_tier = (function()
        local ffi = require "ffi"
        local generations = ngx.shared.cachekeys_generation
        local TTL = {{ first_tier_ttl }}
        local BUDGET = {{ first_tier_bytes }}  -- bytes of pages per worker
        local entries, held = {}, 0  -- key -> {gzip, plain, size, generation, expires}

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
            if size == 0 or size > BUDGET then return nil end
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

        -- Over budget: forget what expired; still over, forget everything (refilled from
        -- memcached within a TTL, which is all a first tier is for).
        local function make_room(size, now)
            if held + size <= BUDGET then return end
            local kept, bytes, live = {}, 0, 0
            for key, entry in pairs(entries) do
                if entry.expires > now then kept[key], bytes, live = entry, bytes + entry.size, live + 1 end
            end
            entries, held = kept, bytes
            if held + size > BUDGET then
                entries, held = {}, 0
                cachekeys_metrics.tier_evicted(live)  -- metrics.lua
            end
        end

        local function keep(key, entry, now)
            local old = entries[key]
            if old then entries[key], held = nil, held - old.size end
            if entry.size > BUDGET then return end
            make_room(entry.size, now)
            entries[key], held = entry, held + entry.size
            cachekeys_metrics.tier_held(held)
        end

        -- Read the page from memcached (the internal location picks the node) and keep
        -- both copies; nil on a miss or a memcached failure.
        local function fill(key, current)
            local began = ngx.now()
            -- GET even for HEAD: a HEAD subrequest would bring back no body to keep.
            local res = ngx.location.capture("/_cachekeys/page/" .. key, { method = ngx.HTTP_GET })
            if res.status ~= 200 or res.truncated then return nil end
            local entry = { generation = current, expires = began + TTL }
            if res.header["Content-Encoding"] == "gzip" then
                entry.gzip, entry.plain = res.body, inflate(res.body)
            else
                entry.plain = res.body
            end
            entry.size = #res.body + (entry.gzip and entry.plain and #entry.plain or 0)
            local now = ngx.now()
            if entry.expires > now then keep(key, entry, now) end
            return entry
        end

        -- Nginx's own test (gzip_http_version, gzip_proxied, q=0) has more rules; when
        -- the two disagree, gunzip (or the plain copy) still gives the client right bytes.
        local function wants_gzip()
            local accepted = ngx.var.http_accept_encoding
            return accepted ~= nil and accepted:find("gzip", 1, true) ~= nil
        end

        local function serve()
            local key = cachekeys_key()
            if key == "" then return ngx.exec("@django") end
            local current = generations:get("g") or 0  -- before any memcached read
            local entry = entries[key]
            if not (entry and entry.generation == current and entry.expires > ngx.now()) then
                entry = fill(key, current)
                if not entry then
                    ngx.var.memcached_key = key  -- @miss names it to Django
                    return ngx.exec("@miss")
                end
            end
            local body, zipped = entry.plain, false
            if entry.gzip and (body == nil or wants_gzip()) then
                body, zipped = entry.gzip, true  -- a plain client here is served by gunzip
            end
            local header = ngx.header
            header["Content-Length"] = #body
            if zipped then header["Content-Encoding"] = "gzip" end
            ngx.print(body)  -- HEAD: Nginx sends the headers only
        end

        local function purge()
            if ngx.req.get_method() ~= "POST" then
                ngx.header["Allow"] = "POST"
                return ngx.exit(405)
            end
            local bumped, err = generations:incr("g", 1, 0)
            if not bumped then
                ngx.log(ngx.ERR, "cachekeys first tier: purge failed: ", err)
                return ngx.exit(500)
            end
            ngx.header["Content-Type"] = "text/plain"
            ngx.say(bumped)
        end

        return { serve = serve, purge = purge }
    end)()
