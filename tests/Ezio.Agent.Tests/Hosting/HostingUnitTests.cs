using Ezio.Agent.Hosting;
using Ezio.Agent.Modes;
using Ezio.Agent.Status;
using Ezio.BitTorrent.Storage;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests.Hosting;

public sealed class HostingUnitTests
{
    [Theory]
    [InlineData("60000000", null, 42, 30000.0)]
    [InlineData("60000000", "42", 42, 30000.0)]
    public void Interval_WatchdogForUs_IsHalfThePeriod(string usec, string? pid, int self, double expectedMs) =>
        Assert.Equal(expectedMs, SystemdWatchdog.Interval(usec, pid, self)!.Value.TotalMilliseconds);

    [Theory]
    [InlineData(null, null)]
    [InlineData("0", null)]
    [InlineData("60000000", "41")]
    [InlineData("junk", null)]
    public void Interval_NoWatchdogForUs_IsNull(string? usec, string? pid) =>
        Assert.Null(SystemdWatchdog.Interval(usec, pid, 42));

    [Fact]
    public void Render_Status_ShowsEverythingThePersonNeeds()
    {
        var now = DateTimeOffset.UtcNow;
        var snapshot = new StatusSnapshot("pc01 (02:00:00:00:00:42)", "win11-lab", "/dev/sda, 238.5 GiB", DeployPhase.Downloading,
            "downloading and writing the image", 512L << 20, 1L << 30, 100 << 20, 5 << 20, 7, "7 peers", "tracker down", "too-small", now.AddSeconds(-75));
        var screen = TtyStatusScreen.Render(snapshot, now);
        Assert.StartsWith("\u001b[2J\u001b[H", screen);
        foreach (var text in new[] { "pc01", "win11-lab", "/dev/sda", "downloading", "50.0%", "512.0 MiB of 1.00 GiB", "100.0 MiB/s", "Peers     7", "ETA       5s", "ERROR: tracker down", "NOTHING WRITTEN: too-small" })
        {
            Assert.Contains(text, screen);
        }
    }

    [Fact]
    public void SnapshotStorage_AfterFreeze_ServesTheOriginalBytes()
    {
        var inner = new MemoryStorage(64);
        var original = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        inner.Write(0, original);
        var storage = new SnapshotStorage(inner);
        storage.Freeze(0, 16);
        storage.Freeze(56, 16);
        inner.Write(0, new byte[64]); // a post-step edits the disk

        var read = new byte[20];
        storage.Read(50, read.AsSpan(0, 14));
        Assert.Equal(new byte[6].Concat(original[56..64]), read[..14]);
        storage.Read(8, read.AsSpan(0, 10));
        Assert.Equal(original[8..16].Concat(new byte[2]), read[..10]);
    }
}
