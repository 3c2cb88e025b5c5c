using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Ezio.Server.Cli;
using Ezio.Server.Hosting;
using Ezio.Server.Ocsmgrd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Ezio.Server.Tests.Ocsmgrd;

/// <summary>
/// The ocsmgrd listener on a shared LAN, over raw TCP against the real listener: off unless
/// asked for, no forged report touches a machine's Ezio menus, idle or flooding clients
/// neither block real reports nor fill the boot root, and the job log stays bounded.
/// </summary>
public sealed class OcsmgrdLimitsTests
{
    private const string Report = "192.168.120.5,00:0c:29:1d:9a:d1,,,, /dev/sda1, success, 4.721 mins;";

    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures", "ocsmgrd", "fixture", "nbi_img");

    [Fact]
    public async Task Defaults_ListenerOff_OnlyAPortTurnsItOn()
    {
        Assert.Equal(-1, new ServerOptions().OcsmgrdPort);
        var repo = new TestDirs().Repo;
        string[] known = ["--repo", "--ocsmgrd-port", "--config"];
        Assert.Equal(-1, ServeCommand.BuildOptions(Options.Parse(["--repo", repo], known)).OcsmgrdPort);
        Assert.Equal(6461, ServeCommand.BuildOptions(Options.Parse(["--repo", repo, "--ocsmgrd-port", "6461"], known)).OcsmgrdPort);

        await using var server = await TestServer.StartAsync(NewDirs());
        var port = await server.Services.GetRequiredService<OcsmgrdListener>().Port.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, port);
    }

    [Fact]
    public async Task ForgedReport_MachineWithPendingEzioDeployment_BootRootUnchanged()
    {
        var dirs = NewDirs();
        dirs.AddImage("img");
        await using var server = await StartAsync(dirs);
        var listener = server.Services.GetRequiredService<OcsmgrdListener>();
        await server.DeployAsync(new("img", ["52:54:00:00:00:0b"]));
        var before = Snapshot(dirs.Boot);
        Assert.Contains("pxelinux.cfg/01-52-54-00-00-00-0b", before.Keys);

        var (report, reason) = await SendAsync(listener, "127.0.0.1", "10.0.0.77 52:54:00:00:00:0b\n");

        Assert.Null(report);
        Assert.Contains("open Ezio deployment", reason);
        Assert.Equal(before, Snapshot(dirs.Boot));
        // The same listener still serves a Clonezilla client that is no Ezio machine.
        var (other, _) = await SendAsync(listener, "127.0.0.1", Report + "\n");
        Assert.NotNull(other);
        Assert.True(File.Exists(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-00-0c-29-1d-9a-d1")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IdleConnections_ThirtyTwo_RealReportStillHandled(bool fromManyAddresses)
    {
        var dirs = NewDirs();
        await using var server = await StartAsync(dirs);
        var listener = server.Services.GetRequiredService<OcsmgrdListener>();
        // Long enough that only the limits, not the timeout, can let the report in.
        listener.ReadTimeout = TimeSpan.FromMinutes(5);
        var port = await listener.Port;
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < OcsmgrdListener.MaxConcurrentReports; i++)
            {
                var client = new TcpClient(new IPEndPoint(IPAddress.Parse(fromManyAddresses ? $"127.0.1.{i + 1}" : "127.0.0.66"), 0));
                idle.Add(client);
                await client.ConnectAsync(IPAddress.Loopback, port);
            }
            var clock = Stopwatch.StartNew();
            var (report, reason) = await SendAsync(listener, "127.0.0.1", Report + "\n", acceptedOnly: true);

            Assert.True(report is not null, reason);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
            Assert.True(File.Exists(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-00-0c-29-1d-9a-d1")));
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task IdleConnection_ClosedAfterTheReadTimeout()
    {
        await using var server = await StartAsync(NewDirs());
        var listener = server.Services.GetRequiredService<OcsmgrdListener>();
        listener.ReadTimeout = TimeSpan.FromMilliseconds(300);
        var port = await listener.Port;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var clock = Stopwatch.StartNew();

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await client.GetStream().ReadAsync(new byte[16], bound.Token);

        Assert.Equal(0, read);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.Equal(1, listener.Rejected);
    }

    [Fact]
    public async Task RandomMacFlood_BootRootBounded()
    {
        var dirs = NewDirs();
        await using var server = await StartAsync(dirs);
        var listener = server.Services.GetRequiredService<OcsmgrdListener>();
        var files = Directory.GetFiles(dirs.Boot, "*", SearchOption.AllDirectories).Length;

        for (var i = 0; i < 600; i++)
        {
            var mac = string.Join(':', RandomNumberGenerator.GetBytes(6).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            await SendAsync(listener, "127.0.0.1", $"10.{i / 250}.{i % 250}.7 {mac} /dev/sda1, success, 1 mins;\n");
        }

        Assert.Equal(OcsmgrdListener.MaxClientsPerAddress, listener.Accepted);
        Assert.Equal(600 - OcsmgrdListener.MaxClientsPerAddress, listener.Rejected);
        // Four files per client (two PXELINUX, two GRUB), for the few it accepted.
        Assert.Equal(files + (4 * OcsmgrdListener.MaxClientsPerAddress), Directory.GetFiles(dirs.Boot, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task JobLog_MovedAsideAtItsLimit()
    {
        var dirs = NewDirs();
        await using var server = await StartAsync(dirs);
        var listener = server.Services.GetRequiredService<OcsmgrdListener>();
        listener.JobLogMaxBytes = 2000;

        for (var i = 0; i < 100; i++)
        {
            var (report, reason) = await SendAsync(listener, "127.0.0.1", Report + "\n");
            Assert.True(report is not null, reason);
        }

        var log = new FileInfo(Path.Combine(dirs.State, "clonezilla-jobs.log"));
        var old = new FileInfo(log.FullName + ".1");
        Assert.True(old.Exists);
        Assert.InRange(log.Length, 1, 2000 + 200);
        Assert.InRange(old.Length, 2000, 2000 + 200);
        Assert.Equal(2, Directory.GetFiles(dirs.State, "clonezilla-jobs.log*").Length);
    }

    [Fact]
    public void RejectedFlood_LoggedTwentyAMinuteThenSummedUp()
    {
        var dirs = NewDirs();
        var time = new FakeTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var logger = new ListLogger();
        var menus = new Ezio.Server.BootMenus.BootMenuWriter(new Ezio.Server.BootMenus.BootMenuOptions { BootRoot = dirs.Boot },
            Ezio.Server.BootMenus.MenuTemplates.LoadEmbedded(), Microsoft.Extensions.Logging.Abstractions.NullLogger<Ezio.Server.BootMenus.BootMenuWriter>.Instance);
        var listener = new OcsmgrdListener(new ServerOptions { StateDirectory = dirs.State }, menus, time, logger);

        for (var i = 0; i < 600; i++)
        {
            listener.Process("garbage", "10.0.0.66");
        }
        Assert.Equal(600, listener.Rejected);
        Assert.Equal(OcsmgrdListener.MaxRejectionsLoggedPerMinute, logger.Count(702));

        time.Advance(TimeSpan.FromSeconds(61));
        listener.Process("garbage", "10.0.0.66");
        Assert.Equal(OcsmgrdListener.MaxRejectionsLoggedPerMinute + 1, logger.Count(702));
        Assert.Contains(logger.Messages(706), m => m.StartsWith("ocsmgrd: 580 more reports", StringComparison.Ordinal));
    }

    private static TestDirs NewDirs()
    {
        var dirs = new TestDirs();
        foreach (var file in Directory.GetFiles(Fixtures, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dirs.Boot, Path.GetRelativePath(Fixtures, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return dirs;
    }

    private static Task<TestServer> StartAsync(TestDirs dirs) =>
        TestServer.StartAsync(dirs, o => { o.OcsmgrdPort = 0; o.OcsmgrdBind = "127.0.0.1"; });

    /// <summary>
    /// Sends raw bytes from <paramref name="source"/> and waits (bounded) for the listener's
    /// verdict on them: the next one, or with <paramref name="acceptedOnly"/> the next accepted
    /// report (other connections are being refused meanwhile).
    /// </summary>
    private static async Task<(OcsmgrdReport? Report, string? Reason)> SendAsync(OcsmgrdListener listener, string source, string text, bool acceptedOnly = false)
    {
        var handled = new TaskCompletionSource<(OcsmgrdReport?, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnHandled(OcsmgrdReport? report, string? reason)
        {
            if (report is not null || !acceptedOnly)
            {
                handled.TrySetResult((report, reason));
            }
        }
        listener.Handled += OnHandled;
        try
        {
            using var client = new TcpClient(new IPEndPoint(IPAddress.Parse(source), 0));
            await client.ConnectAsync(IPAddress.Loopback, await listener.Port);
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text));
            client.Client.Shutdown(SocketShutdown.Send);
            return await handled.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            listener.Handled -= OnHandled;
        }
    }

    private static Dictionary<string, string> Snapshot(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    /// <summary>Keeps every log entry (event id and text).</summary>
    private sealed class ListLogger : ILogger<OcsmgrdListener>
    {
        private readonly List<(int Id, string Text)> _entries = [];

        public int Count(int eventId)
        {
            lock (_entries)
            {
                return _entries.Count(e => e.Id == eventId);
            }
        }

        public List<string> Messages(int eventId)
        {
            lock (_entries)
            {
                return _entries.Where(e => e.Id == eventId).Select(e => e.Text).ToList();
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add((eventId.Id, formatter(state, exception)));
            }
        }
    }
}
