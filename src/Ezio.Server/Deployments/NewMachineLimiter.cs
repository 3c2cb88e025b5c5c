namespace Ezio.Server.Deployments;

/// <summary>
/// How many MACs the server has never seen one address may register per minute (a fixed
/// window per address). A machine registers once per boot, so a real address stays far below
/// it; a host inventing MACs to fill the state is slowed to that rate. Used under the
/// manager's lock.
/// </summary>
internal sealed class NewMachineLimiter(TimeProvider time, int perMinute)
{
    private static readonly TimeSpan s_window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, (DateTimeOffset Start, int Count)> _windows = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="address"/> may register one more new machine now.</summary>
    public bool TryTake(string? address)
    {
        if (perMinute <= 0)
        {
            return true;
        }
        var now = time.GetUtcNow();
        if (_windows.Count >= 10_000)
        {
            // Forget windows that are over, so the table is bounded by the addresses of one minute.
            foreach (var key in _windows.Where(w => now - w.Value.Start >= s_window).Select(w => w.Key).ToList())
            {
                _windows.Remove(key);
            }
        }
        var slot = address ?? "";
        if (!_windows.TryGetValue(slot, out var window) || now - window.Start >= s_window)
        {
            window = (now, 0);
        }
        if (window.Count >= perMinute)
        {
            return false;
        }
        _windows[slot] = (window.Start, window.Count + 1);
        return true;
    }
}
