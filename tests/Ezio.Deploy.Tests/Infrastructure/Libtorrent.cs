using System.Globalization;

namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>python3-libtorrent peers on 127.0.0.1, through scripts/lt_seed.py and lt_leech.py.</summary>
internal static class Libtorrent
{
    /// <summary>
    /// Seeds <paramref name="torrent"/> from <paramref name="savePath"/> (which holds
    /// savePath/&lt;name&gt;[/files]) and waits until the data checked out and the port listens.
    /// </summary>
    public static async Task<ChildProcess> StartSeedAsync(string torrent, string savePath, int port, int uploadLimitBytesPerSecond = 0)
    {
        var seeder = ChildProcess.Start(Tools.Require("libtorrent"),
        [
            Path.Combine(Tools.Scripts, "lt_seed.py"), "--torrent", torrent, "--save-path", savePath,
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--upload-limit", uploadLimitBytesPerSecond.ToString(CultureInfo.InvariantCulture),
        ]);
        try
        {
            await seeder.WaitUntilAsync(() => seeder.Stdout.Contains("SEEDING", StringComparison.Ordinal), "libtorrent to seed");
            await FreePort.WaitForListenerAsync(port, seeder);
            return seeder;
        }
        catch
        {
            seeder.Dispose();
            throw;
        }
    }

    /// <summary>Downloads into savePath/&lt;name&gt; from one loopback peer; libtorrent verifies every piece.</summary>
    public static async Task LeechAsync(string torrent, string savePath, int peerPort)
    {
        using var leecher = ChildProcess.Start(Tools.Require("libtorrent"),
        [
            Path.Combine(Tools.Scripts, "lt_leech.py"), "--torrent", torrent, "--save-path", savePath,
            "--port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--peer", $"127.0.0.1:{peerPort}", "--timeout", "110",
        ]);
        await leecher.ExpectSuccessAsync();
        Assert.Contains("DONE", leecher.Stdout, StringComparison.Ordinal);
    }
}
