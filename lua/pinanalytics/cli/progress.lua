--- The command-line tool's progress bar on standard error ("12/31 pins
-- [████░░░░] 1 failed, 40.2 pins/s, 0:01 left"), drawn when it is a
-- terminal, and the progress callbacks that feed it from a client without
-- losing a Ctrl-C that lands in them.
local errors = require "pinanalytics.cli.errors"

local Interrupt, is_interrupt = errors.Interrupt, errors.is_interrupt

-- A line on stderr, redrawn in place: "12/31 pins [████░░░░] 1 failed,
-- 40.2 pins/s, 0:01 left". Drawn at most ten times a second, and at the end.
local Bar = {}
Bar.__index = Bar

local WIDTH = 24

-- s seconds as "m:ss" (or "h:mm:ss"); "--:--" when not known
local function clock(s)
  if s == nil or s ~= s or s == math.huge then return "--:--" end
  s = math.floor(s + 0.5)
  if s >= 3600 then return string.format("%d:%02d:%02d", math.floor(s / 3600), math.floor(s / 60) % 60, s % 60) end
  return string.format("%d:%02d", math.floor(s / 60), s % 60)
end

-- A bar on stream for total pins (or what unit names: "accounts"), drawn
-- at once; now() gives the time.
local function new_bar(stream, now, total, unit)
  local self = setmetatable({ stream = stream, now = now, total = total, done = 0, failed = 0, unit = unit or "pins" },
    Bar)
  self.started = now()
  self:draw(true)
  return self
end

--- Draws the bar on its stream (a carriage return, then the line, then an
-- erase to its end): "12/31 pins [████░░░░] 1 failed, 40.2 pins/s, 0:01 left",
-- or "done in 0:05" once every pin is done. Nothing is written within 0.1 s
-- of the last drawing unless force is set, nor when the line would read
-- the same as the one shown.
-- @bool[opt] force draw even within 0.1 s of the last drawing
function Bar:draw(force)
  local t = self.now()
  if not force and self.drawn and t - self.drawn < 0.1 then return end
  self.drawn = t
  local total = math.max(self.total, 1)
  local filled = math.floor(WIDTH * math.min(self.done, total) / total)
  local elapsed = t - self.started
  local rate = elapsed > 0 and self.done / elapsed or 0
  local when
  if self.done >= self.total then
    when = "done in " .. clock(elapsed)
  else
    when = clock(rate > 0 and (self.total - self.done) / rate or nil) .. " left"
  end
  local text = string.format("%d/%d %s [%s%s] %d failed, %.1f %s/s, %s", self.done, self.total, self.unit,
    string.rep("█", filled), string.rep("░", WIDTH - filled), self.failed, rate, self.unit, when)
  if text == self.shown then return end
  self.shown = text
  self.stream:write("\r", text, "\27[K")
  self.stream:flush()
end

--- Records the progress and redraws: at once when done reaches the total,
-- else at most ten times a second.
-- @int done pins done so far
-- @int[opt] total pins in all (default: unchanged)
-- @int[opt=0] failed pins that failed so far
function Bar:update(done, total, failed)
  self.done, self.total, self.failed = done, total or self.total, failed or 0
  self:draw(done >= self.total)
end

--- Ends the bar: draws it at once unless every pin is done (the update that
-- got there drew it already), then ends its line, so that what is written
-- next starts on a line of its own.
function Bar:finish()
  if self.done < self.total then self:draw(true) end -- else its last state is shown already
  self.stream:write("\n")
  self.stream:flush()
end

-- The client's on_progress (the bar): the client calls it under pcall and
-- keeps what it raises, so a Ctrl-C that lands in it would be lost; it is
-- noted, and raised by `after_run` once the client's call returns.
local function progress(ctx, f)
  return function(...)
    local ok, e = pcall(f, ...)
    if not ok then
      if is_interrupt(e) then ctx.interrupted = true end
      error(e, 0)
    end
  end
end

-- Raises the interrupt a progress callback noted.
local function after_run(ctx)
  if ctx.interrupted then error(setmetatable({}, Interrupt), 0) end
end

-- Is a bar drawn for n pins? (More than one, stderr a terminal, no --no-progress.)
local function progress_wanted(ctx, opts, n)
  return n > 1 and not opts["--no-progress"] and ctx.isatty(2)
end

return { new_bar = new_bar, progress = progress, after_run = after_run, progress_wanted = progress_wanted }
