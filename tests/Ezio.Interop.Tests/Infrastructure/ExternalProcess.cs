using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// One child process started by a test. Output is captured line by line, every
/// wait is bounded, and Dispose ends the process by the PID this instance started
/// (SIGTERM, then SIGKILL after a grace period). Nothing else is ever signalled.
/// </summary>
internal sealed partial class ExternalProcess : IDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _gate = new();
    private readonly string _label;
    private bool _disposed;

    private ExternalProcess(Process process, string label)
    {
        _process = process;
        _label = label;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote so far, stdout and stderr interleaved.</summary>
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

    public static ExternalProcess Start(
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

        string label = Path.GetFileName(fileName) + " " + string.Join(' ', info.ArgumentList);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var result = new ExternalProcess(process, label);
        process.OutputDataReceived += (_, e) => result.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => result.Append("err", e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Nobody types into these tools; an open stdin only invites hangs.
        process.StandardInput.Close();
        return result;
    }

    /// <summary>Waits for exit; on timeout throws with the captured output (Dispose kills it).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"'{_label}' (pid {Pid}) did not exit within {timeout.TotalSeconds:0} s.\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>Waits for exit and asserts status 0, printing the output otherwise.</summary>
    public async Task ExpectSuccessAsync(TimeSpan timeout)
    {
        int code = await WaitForExitAsync(timeout);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{_label}' exited with {code}.\n{Output}");
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails early if the process dies.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"'{_label}' exited ({_process.ExitCode}) while waiting for {what}.\n{Output}");
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what} from '{_label}'.\n{Output}");
            }
            await Task.Delay(100);
        }
    }

    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        WaitUntilAsync(() => Output.Contains(text, StringComparison.Ordinal), timeout, $"output \"{text}\"");

    /// <summary>Sends SIGTERM and waits up to <paramref name="grace"/>; returns the exit code, or null if it had to be killed.</summary>
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
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(5_000);
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
                    // Process.Kill sends SIGKILL to exactly this PID.
                    _process.Kill(entireProcessTree: false);
                    _process.WaitForExit(5_000);
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

    private void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            _output.Append(stream).Append("| ").AppendLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
