-- wrk script: walk a precomputed request sequence (one URI a line), each thread from its
-- own offset. Usage: wrk ... -s sequence.lua URL -- SEQUENCE_FILE THREADS
-- A line starting with "~" is a shared link: the URI with fresh tracking parameters on
-- every request (utm_* and a new fbclid), as a share spike on social media brings them.
local threads_started = 0

function setup(thread)
   thread:set("thread_index", threads_started)
   threads_started = threads_started + 1
end

function init(args)
   uris = {}
   for line in io.lines(args[1]) do
      uris[#uris + 1] = line
   end
   local threads = tonumber(args[2]) or 1
   position = math.floor(#uris * (thread_index or 0) / threads)
   math.randomseed(1000003 * ((thread_index or 0) + 1))
   counter = 0
end

function request()
   position = position % #uris + 1
   local uri = uris[position]
   if string.sub(uri, 1, 1) == "~" then
      counter = counter + 1
      local separator = string.find(uri, "?", 1, true) and "&" or "?"
      uri = string.sub(uri, 2) .. separator .. "utm_source=facebook&utm_medium=social&utm_campaign=launch"
         .. "&fbclid=IwAR" .. string.format("%08x%08x%d", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), counter)
   end
   return wrk.format(nil, uri)
end
