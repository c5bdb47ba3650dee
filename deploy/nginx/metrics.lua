    -- Counters this Nginx keeps itself, for what Django never sees (hits): requests by
    -- X-Cache outcome and status and the seconds they took, and the first tier's size
    -- and evictions, in a shared dict every worker adds to (cachekeys_metrics). Exposed
    -- on /_cachekeys/metrics in Prometheus' text format (cachekeys.metrics is Django's side).
    cachekeys_metrics = (function()
        local counts = ngx.shared.cachekeys_metrics
        -- Only Django's own labels; anything else (no header: static files, Nginx's 400s,
        -- an app server down) is NONE, so the label set stays small.
        local OUTCOMES = { HIT = true, MISS = true, BYPASS = true, COALESCED = true, STALE = true }

        local function count()
            local v = ngx.var
            if v.uri:sub(1, 12) == "/_cachekeys/" then return end  -- purges and scrapes
            local outcome = v.sent_http_x_cache
            if not OUTCOMES[outcome] then outcome = "NONE" end
            local key = outcome .. " " .. v.status
            counts:incr("r " .. key, 1, 0)
            counts:incr("s " .. key, tonumber(v.request_time) or 0, 0)
        end

        -- The first tier (first_tier.lua) reports here: bytes a worker holds (forgotten a
        -- minute after a worker stops reporting, e.g. after a reload), entries dropped for room.
        local function tier_held(bytes)
            counts:set("t " .. ngx.worker.pid(), bytes, 60)
        end
        local function tier_evicted(entries)
            if entries > 0 then counts:incr("e", entries, 0) end
        end

        local HELP = {
            r = { "cachekeys_nginx_requests_total", "counter",
                  "Requests this Nginx answered, by X-Cache (NONE: no cache involved) and status." },
            s = { "cachekeys_nginx_request_seconds_total", "counter",
                  "Seconds those requests took, by X-Cache and status." },
        }

        local function render()
            local lines, by_kind = {}, { r = {}, s = {} }
            local tier_bytes, tier_workers = 0, 0
            for _, key in ipairs(counts:get_keys(0)) do
                local kind, outcome, status = key:match("^([rs]) (%u+) (%d+)$")
                if kind then
                    table.insert(by_kind[kind], { outcome, status, counts:get(key) or 0 })
                elseif key:sub(1, 2) == "t " then
                    tier_bytes, tier_workers = tier_bytes + (counts:get(key) or 0), tier_workers + 1
                end
            end
            for _, kind in ipairs({ "r", "s" }) do
                local name, type, text = unpack(HELP[kind])
                lines[#lines + 1] = "# HELP " .. name .. " " .. text
                lines[#lines + 1] = "# TYPE " .. name .. " " .. type
                table.sort(by_kind[kind], function(a, b) return a[1] .. a[2] < b[1] .. b[2] end)
                for _, row in ipairs(by_kind[kind]) do
                    lines[#lines + 1] = string.format('%s{cache="%s",status="%s"} %.6f', name, row[1], row[2], row[3])
                end
            end
            lines[#lines + 1] = "# HELP cachekeys_nginx_first_tier_bytes Bytes of pages the first tiers of this Nginx's workers hold."
            lines[#lines + 1] = "# TYPE cachekeys_nginx_first_tier_bytes gauge"
            lines[#lines + 1] = string.format("cachekeys_nginx_first_tier_bytes %d", tier_bytes)
            lines[#lines + 1] = "# HELP cachekeys_nginx_first_tier_workers Workers whose first tier reported in the last minute."
            lines[#lines + 1] = "# TYPE cachekeys_nginx_first_tier_workers gauge"
            lines[#lines + 1] = string.format("cachekeys_nginx_first_tier_workers %d", tier_workers)
            lines[#lines + 1] = "# HELP cachekeys_nginx_first_tier_evictions_total Live pages a first tier dropped to make room."
            lines[#lines + 1] = "# TYPE cachekeys_nginx_first_tier_evictions_total counter"
            lines[#lines + 1] = string.format("cachekeys_nginx_first_tier_evictions_total %d", counts:get("e") or 0)
            ngx.header["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
            ngx.print(table.concat(lines, "\n"), "\n")
        end

        return { count = count, render = render, tier_held = tier_held, tier_evicted = tier_evicted }
    end)()
