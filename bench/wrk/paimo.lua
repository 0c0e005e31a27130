-- wrk script for bench/load.py: GET a URL, or POST new survey records, and print the figures as one JSON line.
--
-- Environment: PAIMO_TOKEN (a bearer token, optional), PAIMO_EXPECT (the status every answer must have,
-- default 200), PAIMO_RECORD ("one_tap" or "detailed": POST a new record with a unique client_uuid each time),
-- PAIMO_COMMUNITY (the 居委 of the records), PAIMO_RUN (8 hex digits: this run's part of each client_uuid),
-- PAIMO_VISITED_AT (when the visits happened).

local token = os.getenv("PAIMO_TOKEN")
local expect = tonumber(os.getenv("PAIMO_EXPECT") or "200")
local record = os.getenv("PAIMO_RECORD")
local community = os.getenv("PAIMO_COMMUNITY") or ""
local run = os.getenv("PAIMO_RUN") or "00000000"
local visited_at = os.getenv("PAIMO_VISITED_AT") or "2023-03-20T10:15:00+08:00"
-- PAIMO_SURVEYORS ("token:居委,token:居委,…", optional): records by many surveyors, each request the next one's, and
-- PAIMO_SPREAD_SECONDS (optional): each visit at its own moment within that many seconds after PAIMO_VISITED_AT, as
-- door-to-door days spread them (one account sending hundreds of records a second at one moment is a 速度异常).
local surveyors = {}
for token_, community_ in string.gmatch(os.getenv("PAIMO_SURVEYORS") or "", "([^:,]+):([^,]+)") do
  table.insert(surveyors, {token_, community_})
end
local spread = tonumber(os.getenv("PAIMO_SPREAD_SECONDS") or "0")
local base_time = nil
do
  local y, mo, d, h, mi, se = visited_at:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  base_time = os.time({year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h),
                       min = tonumber(mi), sec = tonumber(se)})
end

local function visit_moment(n)
  if spread <= 0 then return visited_at end
  local offset = (n * 7919 + thread_id * 104729) % spread
  return os.date("%Y-%m-%dT%H:%M:%S", base_time + offset) .. "+08:00"
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

local sent = 0
unexpected = 0  -- a global: done() reads it from each thread
local headers = {["Accept"] = "application/json"}
if token then headers["Authorization"] = "Bearer " .. token end
if record then headers["Content-Type"] = "application/json" end

local DETAILS = [==[
"trainings": [{"institution": "上海某某消防培训中心", "institution_phone": "021-6000 0000",
  "trainer_identity": "firefighter", "mode": "door_to_door", "date": "2023-02-14", "fee": "200.00",
  "content": "灭火器使用", "products_pitched": true, "engineering_solicited": false}],
"purchases": [{"product": "fire_extinguisher", "quantity": 2, "amount": "560.00", "channel": "training",
  "training": 0, "ccc_mark": false, "id_label": null, "sample_available": true}]]==]

local function survey_body()
  -- 500 addresses per thread and run: a record often finds its unit laid out already, sometimes adds it. A run
  -- of its own addresses: a database timed again does not pile the earlier runs' records onto the same units.
  local uuid = string.format("%s-%04x-4000-8000-%012x", run, thread_id, sent)
  local unit, rest
  if record == "detailed" then
    unit = string.format('{"type": "shop", "address": "压测路%s-%d号", "name": "某某便利店"}', run, sent % 500)
    rest = DETAILS
  else
    unit = string.format('{"type": "household", "address": "压测路%s-%d弄%d号"}', run, thread_id, sent % 500)
    rest = '"trainings": [], "purchases": []'
  end
  local place = community
  if #surveyors > 0 then place = surveyors[(sent % #surveyors) + 1][2] end
  return string.format('{"client_uuid": "%s", "community": "%s", "unit": %s, "visited_at": "%s", '
    .. '"outcome": "surveyed", %s, "note": ""}', uuid, place, unit, visit_moment(sent), rest)
end

function request()
  sent = sent + 1
  if record then
    if #surveyors > 0 then headers["Authorization"] = "Bearer " .. surveyors[(sent % #surveyors) + 1][1] end
    return wrk.format("POST", nil, headers, survey_body())
  end
  return wrk.format("GET", nil, headers, nil)
end

function response(status, response_headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
    if unexpected == 1 then io.stderr:write("unexpected answer " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + (thread:get("unexpected") or 0) end
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "unexpected": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
