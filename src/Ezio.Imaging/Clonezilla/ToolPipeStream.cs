using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Ezio.Imaging.Clonezilla;

/// <summary>
/// The standard output of a system tool as a forward-only stream. An optional input stream is
/// copied to the tool's standard input on a background task. At the end of the output the tool's
/// exit status is checked: a failure becomes an <see cref="ImageException"/> carrying the tail of
/// its standard error. Disposing early kills the tool (by its own PID).
/// </summary>
internal sealed class ToolPipeStream : ReadOnlyStream
{
    private const int StderrTail = 4096;
    private static readonly TimeSpan s_exitWait = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Stream _output;
    private readonly Task _feeder;
    private readonly Task _stderr;
    private readonly StringBuilder _errors = new();
    private readonly string _description;
    private readonly Stream? _input;
    private bool _ended;

    private ToolPipeStream(Process process, Stream? input, string description)
    {
        _process = process;
        _input = input;
        _description = description;
        _output = process.StandardOutput.BaseStream;
        _feeder = input is null ? Task.CompletedTask : Task.Run(FeedAsync);
        _stderr = Task.Run(DrainErrorsAsync);
    }

    /// <summary>Starts the first of <paramref name="tools"/> that exists.</summary>
    public static ToolPipeStream Start(IReadOnlyList<string> tools, IReadOnlyList<string> arguments, Stream? input, string description)
    {
        foreach (string tool in tools)
        {
            var info = new ProcessStartInfo(tool)
            {
                RedirectStandardInput = input is not null,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }
            try
            {
                Process process = Process.Start(info) ?? throw new ImageException(ImageError.ToolFailed, $"Could not start {tool}.");
                return new ToolPipeStream(process, input, $"{tool} {string.Join(' ', arguments)} ({description})");
            }
            catch (Win32Exception)
            {
                // Not installed: try the next candidate.
            }
        }
        throw new ImageException(ImageError.ToolMissing,
            $"{string.Join(" or ", tools)} is needed for {description} but is not installed.");
    }

    public override int Read(Span<byte> buffer)
    {
        if (_ended || buffer.IsEmpty)
        {
            return 0;
        }
        int n = _output.Read(buffer);
        if (n == 0)
        {
            _ended = true;
            CheckExit();
        }
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                    _process.WaitForExit(s_exitWait);
                }
            }
            catch (InvalidOperationException)
            {
            }
            _output.Dispose();
            _feeder.ContinueWith(static _ => { }, TaskScheduler.Default).Wait(s_exitWait);
            _input?.Dispose();
            _process.Dispose();
        }
        base.Dispose(disposing);
    }

    private void CheckExit()
    {
        if (!_process.WaitForExit(s_exitWait))
        {
            _process.Kill();
            throw new ImageException(ImageError.ToolFailed, $"{_description} closed its output but did not exit within {s_exitWait.TotalSeconds} s.");
        }
        _process.WaitForExit();
        _stderr.Wait(s_exitWait);
        Exception? feedError = null;
        try
        {
            _feeder.Wait(s_exitWait);
        }
        catch (AggregateException e)
        {
            feedError = e.InnerException;
        }
        if (_process.ExitCode != 0)
        {
            string errors;
            lock (_errors)
            {
                errors = _errors.ToString().Trim();
            }
            throw new ImageException(ImageError.ToolFailed, $"{_description} failed with exit code {_process.ExitCode}: {errors}");
        }
        if (feedError is not null)
        {
            throw new ImageException(ImageError.ToolFailed, $"Feeding {_description} failed: {feedError.Message}", feedError);
        }
    }

    private async Task FeedAsync()
    {
        Stream stdin = _process.StandardInput.BaseStream;
        var buffer = new byte[1 << 20];
        try
        {
            int n;
            // Read errors (a vanished chunk) propagate; write errors mean the tool stopped
            // reading (it failed or was killed), and its exit status tells why.
            while ((n = await _input!.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                try
                {
                    await stdin.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    return;
                }
            }
        }
        finally
        {
            try
            {
                stdin.Dispose();
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task DrainErrorsAsync()
    {
        var buffer = new char[1024];
        StreamReader reader = _process.StandardError;
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (_errors)
            {
                _errors.Append(buffer, 0, n);
                if (_errors.Length > StderrTail)
                {
                    _errors.Remove(0, _errors.Length - StderrTail);
                }
            }
        }
    }
}
