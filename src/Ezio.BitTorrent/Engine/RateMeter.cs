namespace Ezio.BitTorrent.Engine;

/// <summary>
/// A rate from a growing byte count, sampled at least <c>interval</c> apart and smoothed by
/// <c>weight</c> (the share of each new sample; 1: the last interval alone).
/// </summary>
/// <remarks>Sampled by one thread (the swarm loop); <see cref="Rate"/> may be read by any.</remarks>
internal sealed class RateMeter
{
    private readonly TimeSpan _interval;
    private readonly double _weight;
    private long _lastBytes;
    private long _lastTicks;
    private double _rate;

    public RateMeter(TimeSpan interval, double weight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(weight, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, 1);
        _interval = interval;
        _weight = weight;
    }

    /// <summary>Bytes per second; 0 until the first sample.</summary>
    public double Rate => Volatile.Read(ref _rate);

    /// <summary>
    /// Takes a sample when the interval has passed since the last one (the first call only
    /// sets the baseline); true when <see cref="Rate"/> changed.
    /// </summary>
    public bool Sample(long totalBytes, long now, TimeProvider time)
    {
        if (_lastTicks == 0)
        {
            _lastTicks = now;
            _lastBytes = totalBytes;
            return false;
        }
        var elapsed = time.GetElapsedTime(_lastTicks, now);
        if (elapsed < _interval || elapsed <= TimeSpan.Zero)
        {
            return false;
        }
        var sample = (totalBytes - _lastBytes) / elapsed.TotalSeconds;
        var rate = _rate == 0 ? sample : (1 - _weight) * _rate + _weight * sample;
        Volatile.Write(ref _rate, rate);
        _lastBytes = totalBytes;
        _lastTicks = now;
        return true;
    }
}
