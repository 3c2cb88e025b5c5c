using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ezio.Deployment.Contracts;
using Ezio.Server.BootMenus;
using Ezio.Server.Hosting;

namespace Ezio.Server.Ocsmgrd;

/// <summary>
/// Stands in for Clonezilla's ocsmgrd: accepts one report line per TCP connection on the
/// ocsmgrd port (6461) and, like <c>ocsmgrd</c> without <c>--nopxecfg</c>, writes the client's
/// local-boot menus under the boot root from <c>pxelinux.cfg/default</c> and <c>grub/grub.cfg</c>:
/// <c>pxelinux.cfg/&lt;HEXIP&gt;</c>, <c>pxelinux.cfg/01-&lt;mac-dashes&gt;</c>,
/// <c>grub/grub.cfg-drbl-&lt;ip&gt;</c> and <c>grub/grub.cfg-drbl-&lt;mac&gt;</c>. Every file goes
/// through <see cref="BootMenuWriter"/>: atomic, and never outside the boot root. The job line
/// goes to the log and to <c>&lt;state&gt;/clonezilla-jobs.log</c> in ocsmgrd's format (rotated
/// at <see cref="JobLogMaxBytes"/>). Off unless a port is set (0 picks a free port, for tests).
/// Anyone on the LAN can connect, so: a report never touches the menus of a machine with an
/// open Ezio deployment; a source address holds at most <see cref="MaxConnectionsPerAddress"/>
/// connections, and when all <see cref="MaxConcurrentReports"/> are taken the oldest one still
/// waiting for its line makes room; a line must come within <see cref="ReadTimeout"/>; and menus
/// are written for at most <see cref="MaxClientsPerAddress"/> clients (IP and MAC) per source
/// address and <see cref="MaxClients"/> in all, so a flood of made-up MACs leaves few files.
/// </summary>
internal sealed class OcsmgrdListener(ServerOptions options, BootMenuWriter menus, TimeProvider time, ILogger<OcsmgrdListener> logger) : BackgroundService
{
    public const int MaxConcurrentReports = 32;
    public const int MaxConnectionsPerAddress = 4;
    public const int MaxClientsPerAddress = 4;
    public const int MaxClients = 512;

    /// <summary>Rejections logged per minute; a flood of bad reports is summed up, not logged line by line.</summary>
    public const int MaxRejectionsLoggedPerMinute = 20;

    private readonly Lock _editLock = new();
    private readonly Lock _connectionLock = new();
    private readonly LinkedList<Connection> _waiting = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly HashSet<string> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _clientsPerSource = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<int> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _accepted;
    private long _rejected;
    private DateTimeOffset _logWindowStart = DateTimeOffset.MinValue;
    private int _loggedInWindow;
    private int _notLogged;

    /// <summary>Completes with the bound port (0 when the listener is off or failed).</summary>
    public Task<int> Port => _bound.Task;

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>How long a connection may take to send its line (ocs-socket sends at once).</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>clonezilla-jobs.log is moved to clonezilla-jobs.log.1 once it is this long.</summary>
    public long JobLogMaxBytes { get; set; } = 1 << 20;

    /// <summary>Whether a MAC's boot menus belong to an open Ezio deployment (the server asks its deployments); such reports are refused.</summary>
    public Func<string, bool>? IsDeploying { get; set; }

    /// <summary>Raised after a report was handled (menus written or rejected); for tests and the dashboard.</summary>
    public event Action<OcsmgrdReport?, string?>? Handled;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.OcsmgrdPort < 0)
        {
            _bound.TrySetResult(0);
            return;
        }
        Socket listener;
        try
        {
            listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(IPAddress.Parse(options.OcsmgrdBind), options.OcsmgrdPort));
            listener.Listen(64);
        }
        catch (Exception e) when (e is SocketException or FormatException)
        {
            OcsmgrdLog.ListenFailed(logger, options.OcsmgrdPort, e);
            _bound.TrySetResult(0);
            return;
        }
        using (listener)
        {
            OcsmgrdLog.Listening(logger, listener.LocalEndPoint!);
            _bound.TrySetResult(((IPEndPoint)listener.LocalEndPoint!).Port);
            while (!stoppingToken.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (SocketException)
                {
                    continue;
                }
                if (Admit(client) is not { } connection)
                {
                    client.Dispose();
                    continue;
                }
                _ = HandleAsync(connection, client, stoppingToken);
            }
        }
    }

    /// <summary>Takes a connection in, within the per-address and total limits; null when refused.</summary>
    private Connection? Admit(Socket client)
    {
        var address = (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        Connection? evicted = null;
        Connection? connection = null;
        lock (_connectionLock)
        {
            var open = _perAddress.GetValueOrDefault(address);
            if (open < MaxConnectionsPerAddress)
            {
                if (_waiting.Count >= MaxConcurrentReports)
                {
                    evicted = _waiting.First!.Value;
                    _waiting.RemoveFirst();
                }
                _perAddress[address] = open + 1;
                connection = new Connection(address, new CancellationTokenSource(ReadTimeout, time));
                connection.Node = _waiting.AddLast(connection);
            }
        }
        if (connection is null)
        {
            Reject(address.ToString(), $"more than {MaxConnectionsPerAddress} connections at once from this address");
            return null;
        }
        evicted?.Evict();
        return connection;
    }

    private async Task HandleAsync(Connection connection, Socket client, CancellationToken stoppingToken)
    {
        var peer = connection.Address.ToString();
        try
        {
            using (client)
            {
                var line = await ReadLineAsync(client, connection.Deadline.Token, stoppingToken).ConfigureAwait(false);
                Leave(connection, done: false);
                if (line is null)
                {
                    Reject(peer, connection.Evicted
                        ? "closed to make room for a newer connection (every slot was waiting for a line)"
                        : $"no complete line within {ReadTimeout.TotalSeconds:0.#} s or 4 KiB");
                    return;
                }
                Process(line, peer);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            Reject(peer, e.Message);
        }
        finally
        {
            Leave(connection, done: true);
        }
    }

    /// <summary>Once its line is in, a connection no longer waits (it cannot be evicted); once done it no longer counts for its address.</summary>
    private void Leave(Connection connection, bool done)
    {
        lock (_connectionLock)
        {
            if (connection.Node?.List is not null)
            {
                _waiting.Remove(connection.Node);
            }
            if (done && !connection.Left)
            {
                connection.Left = true;
                var open = _perAddress[connection.Address] - 1;
                if (open == 0)
                {
                    _perAddress.Remove(connection.Address);
                }
                else
                {
                    _perAddress[connection.Address] = open;
                }
                connection.Deadline.Dispose();
            }
        }
    }

    /// <summary>Reads up to '\n' (or the end of the stream, as Perl's getline does), bounded in size and by <paramref name="deadline"/>.</summary>
    private static async Task<string?> ReadLineAsync(Socket client, CancellationToken deadline, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, deadline);
        var buffer = new byte[OcsmgrdReport.MaxLineBytes];
        var filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                var n = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                var newline = Array.IndexOf(buffer, (byte)'\n', filled, n);
                filled += n;
                if (newline >= 0)
                {
                    return Encoding.UTF8.GetString(buffer, 0, newline);
                }
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return null;
        }
        return filled > 0 && filled < buffer.Length ? Encoding.UTF8.GetString(buffer, 0, filled) : null;
    }

    /// <summary>Parses one report and writes the menus; returns the files written (relative to the boot root).</summary>
    internal IReadOnlyList<string> Process(string line, string peer)
    {
        if (!OcsmgrdReport.TryParse(line, out var report, out var error))
        {
            Reject(peer, error);
            return [];
        }
        var ip = report.Ip.ToString();
        if (IsDeploying?.Invoke(report.Mac) == true)
        {
            Reject(peer, $"{report.Mac} has an open Ezio deployment; its boot menus stay as they are");
            return [];
        }
        if (!TakeClient(peer, ip + " " + report.Mac, out var full))
        {
            Reject(peer, full);
            return [];
        }
        OcsmgrdLog.Finished(logger, ip, report.Mac, report.Stats);
        AppendJobLog($"client {ip} ({report.Mac}) finished restoring. Stats: {report.Stats}");
        var written = new List<string>();
        if (menus.Enabled)
        {
            try
            {
                lock (_editLock)
                {
                    WriteMenus(report, written);
                }
                var files = string.Join(' ', written);
                OcsmgrdLog.MenusWritten(logger, report.Mac, ip, files);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                OcsmgrdLog.WriteFailed(logger, report.Mac, ip, e);
            }
        }
        // Counted once its menus are written: whoever sees the count sees the files.
        Interlocked.Increment(ref _accepted);
        Handled?.Invoke(report, null);
        return written;
    }

    /// <summary>Counts a client (IP and MAC) menus are written for, within the limits per source and in all.</summary>
    private bool TakeClient(string source, string client, [NotNullWhen(false)] out string? error)
    {
        lock (_editLock)
        {
            error = null;
            if (_clients.Contains(client))
            {
                return true;
            }
            var fromSource = _clientsPerSource.GetValueOrDefault(source);
            if (_clients.Count >= MaxClients)
            {
                error = $"menus already written for {MaxClients} clients; restart the server to allow more";
            }
            else if (fromSource >= MaxClientsPerAddress)
            {
                error = $"{source} already reported {MaxClientsPerAddress} clients";
            }
            else
            {
                _clients.Add(client);
                _clientsPerSource[source] = fromSource + 1;
                return true;
            }
            return false;
        }
    }

    private void WriteMenus(OcsmgrdReport report, List<string> written)
    {
        var pxeDefault = menus.Resolve("pxelinux.cfg/default");
        if (File.Exists(pxeDefault))
        {
            var edited = DrblMenuEdits.EditPxelinux(File.ReadAllText(pxeDefault));
            foreach (var name in (string[])["pxelinux.cfg/" + report.HexIp, "pxelinux.cfg/01-" + MacAddress.WithDashes(report.Mac)])
            {
                menus.WriteAtomically(name, edited);
                written.Add(name);
            }
        }
        var grubDefault = menus.Resolve("grub/grub.cfg");
        if (File.Exists(grubDefault))
        {
            var edited = DrblMenuEdits.EditGrub(File.ReadAllText(grubDefault));
            foreach (var name in (string[])["grub/grub.cfg-drbl-" + report.Ip, "grub/grub.cfg-drbl-" + report.Mac])
            {
                menus.WriteAtomically(name, edited);
                written.Add(name);
            }
        }
    }

    private void Reject(string peer, string reason)
    {
        Interlocked.Increment(ref _rejected);
        bool log;
        var notLogged = 0;
        lock (_connectionLock)
        {
            var now = time.GetUtcNow();
            if (now - _logWindowStart >= TimeSpan.FromMinutes(1))
            {
                (notLogged, _notLogged, _loggedInWindow, _logWindowStart) = (_notLogged, 0, 0, now);
            }
            log = _loggedInWindow < MaxRejectionsLoggedPerMinute;
            if (log)
            {
                _loggedInWindow++;
            }
            else
            {
                _notLogged++;
            }
        }
        if (notLogged > 0)
        {
            OcsmgrdLog.RejectedNotLogged(logger, notLogged);
        }
        if (log)
        {
            OcsmgrdLog.Rejected(logger, peer, reason);
        }
        Handled?.Invoke(null, reason);
    }

    /// <summary>ocsmgrd's clonezilla-jobs.log line: "YYYY-MMDD-HHMM, &lt;text&gt;" in local time.</summary>
    private void AppendJobLog(string text)
    {
        if (options.StateDirectory is not { } state)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(state);
            var stamp = time.GetLocalNow().ToString("yyyy-MMdd-HHmm", CultureInfo.InvariantCulture);
            var path = Path.Combine(state, "clonezilla-jobs.log");
            lock (_editLock)
            {
                if (new FileInfo(path) is { Exists: true } log && log.Length >= JobLogMaxBytes)
                {
                    File.Move(path, path + ".1", overwrite: true);
                }
                File.AppendAllText(path, stamp + ", " + text + "\n");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            OcsmgrdLog.Rejected(logger, "-", "cannot append to clonezilla-jobs.log: " + e.Message);
        }
    }

    public override void Dispose()
    {
        _bound.TrySetResult(0);
        base.Dispose();
    }

    /// <summary>An accepted connection: its source, and what ends its wait for a line (the read timeout or eviction).</summary>
    private sealed class Connection(IPAddress address, CancellationTokenSource deadline)
    {
        public IPAddress Address { get; } = address;
        public CancellationTokenSource Deadline { get; } = deadline;
        public LinkedListNode<Connection>? Node { get; set; }
        public bool Evicted { get; private set; }
        public bool Left { get; set; }

        public void Evict()
        {
            Evicted = true;
            try
            {
                Deadline.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It finished meanwhile.
            }
        }
    }
}
