    -- The key (deploy/nginx/key.lua, rendered by `./manage.py nginx_config`): the one
    -- definition in cachekeys.keys, as Lua. Included in init_by_lua_block by site.conf.
    --
    -- cachekeys_key() returns md5(KEY_PREFIX .. $host .. key URI), or "" meaning "not
    -- cacheable here": methods other than GET/HEAD (the memcached module answers them
    -- 405), a session cookie or Authorization, or a query parameter that is neither
    -- allow-listed (QUERY_PARAMS) nor a tracking parameter (TRACKING_PARAMS).
    -- The key URI is $request_uri without tracking parameters (cachekeys.keys.key_uri):
    -- nothing removed, nothing changes; else the other parameters keep their order and
    -- spelling, joined by "&", and an empty query loses its "?". Names compare raw.
    cachekeys_query_params = { {% for name in query_params %}["{{ name }}"] = true, {% endfor %}}
    cachekeys_tracking_params = { {% for name in tracking_exact %}["{{ name }}"] = true, {% endfor %}}
    cachekeys_tracking_prefixes = { {% for prefix in tracking_prefixes %}"{{ prefix }}", {% endfor %}}

    local function cachekeys_is_tracking(name)
        if cachekeys_tracking_params[name] then return true end
        for _, prefix in ipairs(cachekeys_tracking_prefixes) do
            if name:sub(1, #prefix) == prefix then return true end
        end
        return false
    end

    -- The key URI of this request, or nil when a parameter keeps it out of the cache.
    function cachekeys_key_uri()
        local uri = ngx.var.request_uri
        local mark = uri:find("?", 1, true)
        if not mark then return uri end
        local kept, removed = {}, false
        for pair in uri:sub(mark + 1):gmatch("[^&]+") do
            local name = pair:match("^[^=]*")
            if cachekeys_is_tracking(name) then
                removed = true
            elseif cachekeys_query_params[name] then
                kept[#kept + 1] = pair
            else
                return nil
            end
        end
        if not removed then return uri end
        if #kept == 0 then return uri:sub(1, mark - 1) end
        return uri:sub(1, mark) .. table.concat(kept, "&")
    end

    function cachekeys_key()
        local v = ngx.var
        local method = v.request_method
        if method ~= "GET" and method ~= "HEAD" then return "" end
        if v.http_authorization or v["cookie_{{ session_cookie }}"] then return "" end
        local uri = cachekeys_key_uri()
        if not uri then return "" end
        return {{ key_expression }}
    end
