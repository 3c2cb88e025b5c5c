using System.Diagnostics;
using Ezio.BitTorrent.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Trackers;

/// <summary>
/// Runs only when /usr/bin/opentracker exists, or always when CI=true (then a missing binary fails the test).
/// Outside CI the skip reason says loudly what did not run.
/// </summary>
public sealed class OpentrackerFactAttribute : FactAttribute
{
    public OpentrackerFactAttribute()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && !File.Exists(OpentrackerProcess.BinaryPath))
        {
            Skip = $"SKIPPED INTEROP TEST: {OpentrackerProcess.BinaryPath} is missing (apt-get install opentracker). "
                + "Set CI=true to make this a failure.";
        }
    }
}

/// <summary>A real opentracker on 127.0.0.1 (TCP and UDP on one random port), killed by PID on dispose.</summary>
internal sealed class OpentrackerProcess : IDisposable
{
    public const string BinaryPath = "/usr/bin/opentracker";
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly System.Text.StringBuilder _output = new();

    private OpentrackerProcess(Process process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public static async Task<OpentrackerProcess> StartAsync(params InfoHash[] whitelist)
    {
        Assert.True(File.Exists(BinaryPath), $"{BinaryPath} is missing; CI must install the opentracker package.");

        // Debian builds opentracker with a whitelist, so every test torrent must be listed.
        DirectoryInfo directory = Directory.CreateTempSubdirectory("ezio-opentracker-");
        string listPath = Path.Combine(directory.FullName, "whitelist");
        await File.WriteAllLinesAsync(listPath, whitelist.Select(hash => hash.ToString()));
        // As root opentracker chroots into -d and drops to "nobody", who must still read the list.
        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            const UnixFileMode searchable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            File.SetUnixFileMode(directory.FullName, readable | searchable);
            File.SetUnixFileMode(listPath, readable);
        }
        string listArgument = Environment.IsPrivilegedProcess ? "/whitelist" : listPath;

        int port = FreePort();
        var start = new ProcessStartInfo(BinaryPath)
        {
            ArgumentList = { "-i", "127.0.0.1", "-p", $"{port}", "-P", $"{port}", "-d", directory.FullName, "-w", listArgument },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = start };
        var tracker = new OpentrackerProcess(process, directory, port);
        // Drain both pipes so a chatty tracker can never block on a full pipe.
        process.OutputDataReceived += (_, e) => tracker.Record(e.Data);
        process.ErrorDataReceived += (_, e) => tracker.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await tracker.WaitUntilListeningAsync();
            return tracker;
        }
        catch
        {
            tracker.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
            _directory.Delete(recursive: true);
        }
    }

    /// <summary>Ready means it answers HTTP: a socket that only accepts may still reset the first request.</summary>
    private Task WaitUntilListeningAsync() =>
        global::Ezio.TestKit.Net.HttpProbe.WaitForAnswerAsync(Port, StartupDeadline,
            () => _process.HasExited ? $"exit code {_process.ExitCode}: {Output}" : null);

    /// <summary>A port free for both TCP and UDP right now, never handed out before in this test run.</summary>
    private static int FreePort() => global::Ezio.TestKit.Net.FreePort.Next();
}
