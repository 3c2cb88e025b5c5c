using Ezio.Agent.Disks;
using Ezio.Agent.Hosting;
using Ezio.Agent.Journal;
using Ezio.Agent.Modes;
using Ezio.Agent.Status;
using Ezio.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ezio.Agent;

/// <summary>`ezio agent`: the unattended deployment daemon of the live system (a systemd Type=notify service).</summary>
internal static class AgentCommand
{
    /// <summary>What the agent reports when it registers: the version of Directory.Build.props.</summary>
    public static string Version => Program.VersionText;

    public const string Help = """
        ezio agent [options]: register with the deployment server, write the image to this
        machine's disk, seed it, then reboot. Runs as ezio-agent.service; parameters come from
        /proc/cmdline (ezio.server=URL ezio.disk=auto|/dev/... ezio.after=reboot|poweroff|stay
        ezio.job=NAME), then /etc/ezio/agent.json, then these options:
          --server URL            deployment server (ezio.server)
          --disk auto|PATH        target disk (ezio.disk)
          --after ACTION          reboot, poweroff or stay, overriding the job (ezio.after)
          --job NAME              accept only this image or deployment id (ezio.job)
          --mac MAC               register with this MAC instead of the first interface's
          --cmdline-file FILE     read ezio.* parameters from FILE instead of /proc/cmdline
          --config FILE           JSON settings instead of /etc/ezio/agent.json
          --after-command CMD     run CMD (sh -c, EZIO_AFTER set) instead of rebooting (tests)
          --state-dir DIR         resume markers (default /var/lib/ezio-agent)
          --peer-port N           BitTorrent port (default 6881; 0 picks a free one)
          --trusted-key FILE      jobs must be signed by this key (default /etc/ezio/trusted.pub, if present)
          --status-tty FILE       full-screen status (default /dev/tty1; 'none' to disable)
          --journal-socket PATH   journald socket (default /run/systemd/journal/socket)
          --progress-seconds S    progress report period (default 2)
          --unreachable-seconds S stop seeding after the server was gone this long (default 30)
          --server-cert-sha256 H  over https accept only the server certificate with this SHA-256
          --insecure-tls          over https without a pin accept any certificate (warned about)
          --job-max-age-hours H   refuse a job issued longer ago than this (default 24)
          --job-clock-skew-seconds S  refuse a job issued further ahead of this clock (default 300)
        """;

    private static readonly (string Option, string Key)[] s_valueOptions =
    [
        ("--server", "Server"), ("--disk", "Disk"), ("--after", "After"), ("--job", "Job"), ("--mac", "Mac"),
        ("--after-command", "AfterCommand"), ("--state-dir", "StateDir"), ("--peer-port", "PeerPort"),
        ("--trusted-key", "TrustedKey"), ("--status-tty", "StatusTty"), ("--journal-socket", "JournalSocket"),
        ("--progress-seconds", "ProgressSeconds"), ("--unreachable-seconds", "UnreachableSeconds"),
        ("--server-cert-sha256", "ServerCertSha256"),
        ("--job-max-age-hours", "JobMaxAgeHours"), ("--job-clock-skew-seconds", "JobClockSkewSeconds"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = CommandLine.Parse(args, [.. s_valueOptions.Select(o => o.Option), "--cmdline-file", "--config"], ["--insecure-tls"]);
        if (cl.Help)
        {
            Console.WriteLine(Help);
            return 0;
        }
        using var host = Build(cl);
        await host.RunAsync().ConfigureAwait(false);
        return 0;
    }

    internal static IHost Build(CommandLine cl)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "ezio-agent" });
        var cmdlinePath = cl.Value("--cmdline-file") ?? "/proc/cmdline";
        var cmdline = File.Exists(cmdlinePath) ? File.ReadAllText(cmdlinePath) : "";
        builder.Configuration.AddInMemoryCollection(KernelCommandLine.Parse(cmdline));
        var configPath = cl.Value("--config");
        if (configPath is not null && !File.Exists(configPath))
        {
            throw new UsageException($"no config file {configPath}");
        }
        builder.Configuration.AddJsonFile(configPath ?? "/etc/ezio/agent.json", optional: true, reloadOnChange: false);
        builder.Configuration.AddInMemoryCollection(s_valueOptions
            .Where(o => cl.Value(o.Option) is not null)
            .Select(o => new KeyValuePair<string, string?>(o.Key, cl.Value(o.Option)))
            .Concat(cl.Flag("--insecure-tls") ? [new KeyValuePair<string, string?>("InsecureTls", "true")] : []));

        var options = new AgentOptions();
        builder.Configuration.Bind(options);
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(options);

        ConfigureLogging(builder.Logging, options);
        builder.Services.AddSystemd();
        builder.Services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
        builder.Services.AddSingleton<IHostLifetime, AgentLifetime>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AgentStatus>();
        builder.Services.AddSingleton(_ => new DiskInventory(options.SysRoot));
        builder.Services.AddSingleton(sp => new AgentContext(options, sp.GetRequiredService<AgentStatus>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ezio.Agent"), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DiskInventory>()));
        builder.Services.AddHostedService<SystemdWatchdog>();
        builder.Services.AddHostedService<TtyStatusScreen>();
        builder.Services.AddHostedService<ProgressReporter>();
        builder.Services.AddHostedService<AgentRunner>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        return builder.Build();
    }

    /// <summary>The journal's native protocol when journald listens, else systemd-style console lines.</summary>
    private static void ConfigureLogging(ILoggingBuilder logging, AgentOptions options)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);
        if (JournalLoggerProvider.IsAvailable(options.JournalSocket))
        {
            logging.AddProvider(new JournalLoggerProvider(options.JournalSocket, "ezio-agent"));
        }
        else
        {
            logging.AddSystemdConsole(o => o.IncludeScopes = false);
        }
    }
}
