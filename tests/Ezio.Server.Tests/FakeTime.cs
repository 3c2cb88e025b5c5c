namespace Ezio.Server.Tests;

/// <summary>A clock tests move by hand (timers are not driven; the tracker only reads the time).</summary>
internal sealed class FakeTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
