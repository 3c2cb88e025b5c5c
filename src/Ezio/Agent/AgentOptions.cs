using Ezio.Deployment.Contracts;

namespace Ezio.Agent;

/// <summary>
/// Everything the agent is told. Sources, weakest first: defaults, /proc/cmdline (ezio.*),
/// /etc/ezio/agent.json (top-level keys), command-line options. Bound with the
/// configuration-binding source generator, so it stays trim and AOT clean.
/// </summary>
internal sealed class AgentOptions
{
    /// <summary>Base URL of ezio-server, e.g. http://10.0.0.1:8080.</summary>
    public string? Server { get; set; }

    /// <summary>SHA-256 fingerprint of the server's HTTPS certificate (ezio-server cert-fingerprint); the only one accepted.</summary>
    public string? ServerCertSha256 { get; set; }

    /// <summary>Over https without a pin, accept any server certificate (labs that choose it; warned about).</summary>
    public bool InsecureTls { get; set; }

    /// <summary>"auto" or a device path (/dev/disk/by-path/..., /dev/sda, /dev/loop3).</summary>
    public string Disk { get; set; } = "auto";

    /// <summary>reboot, poweroff or stay; when set it overrides the job's after-action.</summary>
    public string? After { get; set; }

    /// <summary>Optional job (deployment) name the machine expects; others are refused.</summary>
    public string? Job { get; set; }

    /// <summary>MAC address to register with; default: the first up, non-loopback interface.</summary>
    public string? Mac { get; set; }

    /// <summary>Runs instead of reboot/poweroff (tests); gets EZIO_AFTER in its environment.</summary>
    public string? AfterCommand { get; set; }

    public string StateDir { get; set; } = "/var/lib/ezio-agent";

    public int PeerPort { get; set; } = 6881;

    public string TrustedKey { get; set; } = "/etc/ezio/trusted.pub";

    /// <summary>Where the full-screen status goes when writable; "none" switches it off.</summary>
    public string StatusTty { get; set; } = "/dev/tty1";

    public string JournalSocket { get; set; } = "/run/systemd/journal/socket";

    /// <summary>A job issued longer ago than this is refused (a replayed old job).</summary>
    public double JobMaxAgeHours { get; set; } = 24;

    /// <summary>How far ahead of this machine's clock a job's issue time may be.</summary>
    public double JobClockSkewSeconds { get; set; } = 300;

    /// <summary>Seconds between progress reports.</summary>
    public double ProgressSeconds { get; set; } = 2;

    /// <summary>Longest wait between registration attempts, in seconds.</summary>
    public double MaxBackoffSeconds { get; set; } = 30;

    /// <summary>Seeding stops after the server and tracker were unreachable this long.</summary>
    public double UnreachableSeconds { get; set; } = 30;

    /// <summary>Root of sysfs for the disk inventory (tests may point it at a fake tree).</summary>
    public string SysRoot { get; set; } = "/sys";

    public Uri ServerUri() =>
        Uri.TryCreate(Server, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException($"ezio.server is not an http(s) URL: '{Server}'");

    /// <summary>The after-action to run: the local override when set, else the job's.</summary>
    public AfterAction AfterFor(Job job) => After?.ToLowerInvariant() switch
    {
        "reboot" => AfterAction.Reboot,
        "poweroff" => AfterAction.Poweroff,
        "stay" => AfterAction.Stay,
        _ => job.After,
    };
}

/// <summary>Reads ezio.* parameters from a kernel command line (/proc/cmdline).</summary>
internal static class KernelCommandLine
{
    /// <summary>Maps ezio.server=URL ezio.disk=... to configuration keys Server, Disk, After, Job, Mac</summary>
    public static Dictionary<string, string?> Parse(string text)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in Split(text))
        {
            if (!word.StartsWith("ezio.", StringComparison.Ordinal))
            {
                continue;
            }
            var eq = word.IndexOf('=');
            if (eq < 0)
            {
                continue;
            }
            var key = word[5..eq] switch
            {
                "server" => "Server",
                "disk" => "Disk",
                "after" => "After",
                "job" => "Job",
                "mac" => "Mac",
                _ => null,
            };
            if (key is not null)
            {
                values[key] = word[(eq + 1)..];
            }
        }
        return values;
    }

    /// <summary>Splits on spaces; double quotes group a value with spaces (as the kernel does).</summary>
    internal static IEnumerable<string> Split(string text)
    {
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }
}
