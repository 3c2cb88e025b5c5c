using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Ezio.Server.Ocsmgrd;
using Ezio.TestKit.Processes;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.Server.Tests.Ocsmgrd;

/// <summary>
/// Sends the reports run-ocsmgrd-test.sh sent to the real ocsmgrd and compares the files we write
/// with the ones it wrote (Fixtures/ocsmgrd, copied from shared/fixtures/ocsmgrd).
/// </summary>
public sealed class OcsmgrdListenerTests(ITestOutputHelper output)
{
    private const string OldReport = "192.168.120.5 00:0c:29:1d:9a:d1 /dev/sda1, success, 4.721 mins;";
    private const string NewReport = "192.168.120.5,00:0c:29:1d:9a:d1,,,, /dev/sda1, success, 4.721 mins;";
    private static readonly string[] s_written =
        ["pxelinux.cfg/C0A87805", "pxelinux.cfg/01-00-0c-29-1d-9a-d1", "grub/grub.cfg-drbl-192.168.120.5", "grub/grub.cfg-drbl-00:0c:29:1d:9a:d1"];

    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures", "ocsmgrd");

    [Theory]
    [InlineData(OldReport, "out-old-protocol-deb-5.3.17", "mins;")]
    [InlineData(NewReport, "out-new-protocol-git-head", "/dev/sda1  success  4.721 mins;")]
    public async Task Report_SameAsRealOcsmgrd_FilesIdentical(string message, string expected, string statsTail)
    {
        var dirs = new TestDirs();
        CopyDirectory(Path.Combine(Fixtures, "fixture", "nbi_img"), dirs.Boot);
        await using var server = await TestServer.StartAsync(dirs, o => { o.OcsmgrdPort = 0; o.OcsmgrdBind = "127.0.0.1"; });
        var listener = server.Services.GetRequiredService<OcsmgrdListener>();
        var port = await listener.Port.WaitAsync(TimeSpan.FromSeconds(10));
        var handled = new TaskCompletionSource<OcsmgrdReport?>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Handled += (report, _) => handled.TrySetResult(report);

        await SendAsync(port, message, output);
        var report = await handled.Task.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.NotNull(report);
        // ocsmgrd's quirk kept: in the old format the first three report words fill the EFI slots.
        Assert.Equal(statsTail, report.Stats.Trim());
        foreach (var name in s_written)
        {
            var want = await File.ReadAllBytesAsync(Path.Combine(Fixtures, expected, "nbi_img", name));
            var got = await File.ReadAllBytesAsync(Path.Combine(dirs.Boot, name));
            Assert.True(want.AsSpan().SequenceEqual(got), $"{name} differs from what the real ocsmgrd wrote");
        }
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Fixtures, "fixture", "nbi_img", "pxelinux.cfg", "default")),
            await File.ReadAllBytesAsync(Path.Combine(dirs.Boot, "pxelinux.cfg", "default")));
        Assert.Contains("finished restoring. Stats:", await File.ReadAllTextAsync(Path.Combine(dirs.State, "clonezilla-jobs.log")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("192.168.120.5")]
    [InlineData("../../etc 00:0c:29:1d:9a:d1 x")]
    [InlineData("192.168.120.5 ../../../../tmp/evil x")]
    [InlineData("192.168.120.5,00:0c:29:1d:9a:d1;touch /tmp/pwned,,,, ok")]
    [InlineData("999.1.1.1 00:0c:29:1d:9a:d1 x")]
    [InlineData("::1 00:0c:29:1d:9a:d1 x")]
    [InlineData("10.0.0.1\u0001 00:0c:29:1d:9a:d1 x")]
    public void Process_BadReport_RejectedNothingWritten(string line)
    {
        var dirs = new TestDirs();
        CopyDirectory(Path.Combine(Fixtures, "fixture", "nbi_img"), dirs.Boot);
        var before = Directory.GetFiles(dirs.Root, "*", SearchOption.AllDirectories).Length;
        var listener = CreateListener(dirs);

        Assert.Empty(listener.Process(line, "test"));
        Assert.Equal(1, listener.Rejected);
        Assert.Equal(before, Directory.GetFiles(dirs.Root, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Listener_OversizedAndHalfLines_RejectedAndStillServing()
    {
        var dirs = new TestDirs();
        CopyDirectory(Path.Combine(Fixtures, "fixture", "nbi_img"), dirs.Boot);
        await using var server = await TestServer.StartAsync(dirs, o => { o.OcsmgrdPort = 0; o.OcsmgrdBind = "127.0.0.1"; });
        var listener = server.Services.GetRequiredService<OcsmgrdListener>();
        var port = await listener.Port.WaitAsync(TimeSpan.FromSeconds(10));

        await SendRawAsync(port, Encoding.ASCII.GetBytes(new string('x', 10_000)));
        await SendRawAsync(port, []);
        await SendAsync(port, NewReport, output: null);

        var deadline = Stopwatch.StartNew();
        while ((listener.Accepted < 1 || listener.Rejected < 2) && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50);
        }
        Assert.Equal(1, listener.Accepted);
        Assert.True(listener.Rejected >= 2);
        Assert.True(File.Exists(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-00-0c-29-1d-9a-d1")));
        Assert.Contains("ezio_ocsmgrd_reports_total{outcome=\"accepted\"} 1", await server.Http.GetStringAsync("/metrics"));
    }

    private static OcsmgrdListener CreateListener(TestDirs dirs)
    {
        var options = new Ezio.Server.Hosting.ServerOptions { StateDirectory = dirs.State };
        var menus = new Ezio.Server.BootMenus.BootMenuWriter(new Ezio.Server.BootMenus.BootMenuOptions { BootRoot = dirs.Boot },
            Ezio.Server.BootMenus.MenuTemplates.LoadEmbedded(), Microsoft.Extensions.Logging.Abstractions.NullLogger<Ezio.Server.BootMenus.BootMenuWriter>.Instance);
        return new OcsmgrdListener(options, menus, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OcsmgrdListener>.Instance);
    }

    /// <summary>
    /// With Clonezilla's own ocs-socket when it is there (EZIO_OCS_SOCKET, e.g. unpacked from the
    /// clonezilla .deb with dpkg -x, or /usr/bin/ocs-socket), else the same bytes: the message and '\n'.
    /// </summary>
    private static async Task SendAsync(int port, string message, ITestOutputHelper? output)
    {
        var script = new[] { Environment.GetEnvironmentVariable("EZIO_OCS_SOCKET"), "/usr/bin/ocs-socket" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));
        if (script is not null && File.Exists("/usr/bin/perl"))
        {
            output?.WriteLine($"sending with {script}");
            using var process = ChildProcess.Start("/usr/bin/perl", [script, "-m", message, "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await process.ExpectSuccessAsync(TimeSpan.FromSeconds(20));
            return;
        }
        output?.WriteLine("ocs-socket not found: sending the identical bytes (message + \\n) from C#");
        await SendRawAsync(port, Encoding.UTF8.GetBytes(message + "\n"));
    }

    private static async Task SendRawAsync(int port, byte[] bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        await client.GetStream().WriteAsync(bytes);
        client.Client.Shutdown(SocketShutdown.Send);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
