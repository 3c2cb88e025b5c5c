using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Ezio.TestKit.Processes;

/// <summary>
/// One child process started by a test. stdout and stderr are captured line by line, both
/// apart (<see cref="Stdout"/>, <see cref="Stderr"/>: tests assert on ezio's stderr lines) and
/// interleaved (<see cref="Output"/>). Every wait is bounded, and only the PID this instance
/// started is ever signalled: SIGTERM, then SIGKILL after a grace period, on dispose.
/// </summary>
public sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly string _label;
    private bool _disposed;

    private ChildProcess(Process process, string label)
    {
        _process = process;
        _label = label;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Everything the process wrote so far, stdout ("out| ") and stderr ("err| ") interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, Path.GetFileName(fileName) + " " + string.Join(' ', info.ArgumentList));
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, "out", e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, "err", e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Nobody types into these tools; an open stdin only invites hangs.
        process.StandardInput.Close();
        return child;
    }

    /// <summary>Waits for exit (bounded, default <see cref="Tools.Timeout"/>) and returns the exit code once all output is read.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        TimeSpan bound = timeout ?? Tools.Timeout;
        using var cts = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            // The token-less overload also waits for the end of redirected output.
            _process.WaitForExit();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"'{_label}' (pid {Pid}) did not exit within {bound.TotalSeconds:0} s.\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Waits for exit and throws (failing the test) with the output unless the status is 0.</summary>
    public async Task ExpectSuccessAsync(TimeSpan? timeout = null)
    {
        int code = await WaitForExitAsync(timeout);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{_label}' exited with {code}.\n{Output}");
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails early if the process exits.</summary>
    public Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        WaitUntilAsync(condition, what, timeout);

    /// <summary>Polls until <paramref name="condition"/> holds; fails early if the process exits.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        TimeSpan bound = timeout ?? Tools.Timeout;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"'{_label}' exited ({_process.ExitCode}) while waiting for {what}.\n{Output}");
            }

            if (clock.Elapsed > bound)
            {
                throw new TimeoutException($"Waited {bound.TotalSeconds:0} s for {what} from '{_label}'.\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        WaitUntilAsync(() => Output.Contains(text, StringComparison.Ordinal), timeout, $"output \"{text}\"");

    /// <summary>SIGTERM to this PID (a clean stop asked for); <see cref="WaitForExitAsync"/> sees the outcome.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
        }
    }

    /// <summary>SIGKILL to this PID (a crash, not a clean stop), then reap it.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigKill);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; returns the exit code, or null when killed.</summary>
    public async Task<int?> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }

        _ = Kill(_process.Id, SigTerm);
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            KillHard();
            return null;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _ = Kill(_process.Id, SigTerm);
                if (!_process.WaitForExit(3_000))
                {
                    KillHard();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }
        finally
        {
            _process.Dispose();
        }
    }

    public override string ToString() => $"{_label} (pid {Pid})";

    private void Append(StringBuilder target, string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
            _output.Append(stream).Append("| ").AppendLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
