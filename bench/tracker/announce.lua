-- wrk script: BEP 3 announces with a distinct peer_id per request, spread over a few swarms.
-- peer_id = "-BN0001-" .. 4 hex digits of the wrk thread .. 8 hex digits of a counter (20 bytes).
local swarms = tonumber(os.getenv("BENCH_SWARMS") or "16")
local threads = 0
local hashes = {}
local counter = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  for s = 1, swarms do
    local parts = {}
    for i = 1, 20 do
      parts[i] = string.format("%%%02x", (s * 37 + i * 11) % 256)
    end
    hashes[s] = table.concat(parts)
  end
end

function request()
  counter = counter + 1
  local peer = string.format("-BN0001-%04x%08x", tid, counter % 0x100000000)
  local hash = hashes[(counter % swarms) + 1]
  local path = "/announce?info_hash=" .. hash .. "&peer_id=" .. peer ..
    "&port=" .. (1024 + counter % 60000) .. "&uploaded=0&downloaded=0&left=1000&compact=1&numwant=50"
  return wrk.format("GET", path)
end
