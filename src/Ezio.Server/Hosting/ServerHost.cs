using System.Security.Cryptography.X509Certificates;
using Ezio.Deployment.Contracts;
using Ezio.Server.Api;
using Ezio.Server.BootFiles;
using Ezio.Server.BootMenus;
using Ezio.Server.Dashboard;
using Ezio.Server.Deployments;
using Ezio.Server.Metrics;
using Ezio.Server.Ocsmgrd;
using Ezio.Server.Images;
using Ezio.Server.Seeding;
using Ezio.Server.Tracker;

namespace Ezio.Server.Hosting;

/// <summary>Composes the server: tracker, seeder, deployment manager, boot menus, APIs.</summary>
internal static class ServerHost
{
    public static WebApplication Build(ServerOptions options, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null)
    {
        if (options.SigningKeyFile is { } keyFile)
        {
            options.SigningKeyPem = File.ReadAllText(keyFile);
        }
        var https = HttpsFor(options);
        var tokenSource = AdminToken.Resolve(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Listen);
        if (https is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = ApiRoutes.MaxBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            if (https is not null)
            {
                k.ConfigureHttpsDefaults(h => h.ServerCertificate = https);
            }
        });
        builder.Logging.ClearProviders();
        // Per-request ASP.NET logs would drown the journal at thousands of announces per second.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (logging is null)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.AddSystemdConsoleIfJournal();
        }
        else
        {
            logging(builder.Logging);
        }
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, DeploymentJsonContext.Default));
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(options.Menus);
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(MenuTemplates.LoadEmbedded());
        services.AddSingleton<BootMenuWriter>();
        services.AddSingleton(new LiveFiles(options.LiveDirectory ?? (options.Menus.BootRoot is { } boot ? Path.Combine(boot, "live") : null)));
        services.AddSingleton(new LoaderFiles(options.Menus.BootRoot));
        services.AddSingleton<IImageCatalog>(new DirectoryImageCatalog(options.Repo));
        services.AddSingleton(_ => new StateStore(options.StateDirectory));
        services.AddSingleton<DeploymentEventHub>();
        services.AddSingleton<IDeploymentEvents>(sp => sp.GetRequiredService<DeploymentEventHub>());
        services.AddSingleton<DeploymentManager>();
        services.AddSingleton(sp => new AnnounceTracker(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AnnounceTracker>>())
        {
            Interval = TimeSpan.FromSeconds(options.AnnounceIntervalSeconds),
            MaxPeersPerSwarm = options.MaxPeersPerTorrent,
            Locality = options.Locality && SubnetLocality.TryCreate(options.LocalityPrefixes, out var locality, out _) ? locality : null,
        });
        services.AddSingleton<DeploymentSeeder>();
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentSeeder>());
        services.AddHostedService<HousekeepingService>();
        services.AddSingleton(sp => new DeploymentHistory(
            options.HistoryFile ?? (options.StateDirectory is { } state ? Path.Combine(state, "history.db") : null),
            sp.GetRequiredService<IDeploymentEvents>(), sp.GetRequiredService<ILogger<DeploymentHistory>>()));
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentHistory>());
        services.AddSingleton(sp => new AdminHistory(
            options.HistoryFile ?? (options.StateDirectory is { } state ? Path.Combine(state, "history.db") : null),
            sp.GetRequiredService<DeploymentHistory>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AdminHistory>>()));
        services.AddSingleton(_ => new GroupStore(options.StateDirectory));
        services.AddSingleton<RateSeries>();
        services.AddHostedService(sp => sp.GetRequiredService<RateSeries>());
        services.AddSingleton<OcsmgrdListener>();
        services.AddHostedService(sp => sp.GetRequiredService<OcsmgrdListener>());

        var app = builder.Build();
        var hostingLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ezio.Server.Hosting");
        LogAdminToken(hostingLogger, tokenSource, options);
        if (https is not null)
        {
            var fingerprint = HttpsCertificate.Fingerprint(https);
            var certificatePath = HttpsCertificate.CertificatePath(options.StateDirectory!);
            HostingLog.HttpsCertificate(hostingLogger, fingerprint, certificatePath);
            HttpsOnlyApi.Use(app, options.Menus.ApiUrl ?? options.Listen.Split(';').First(u => u.Trim().StartsWith("https://", StringComparison.OrdinalIgnoreCase)).Trim());
        }
        else
        {
            HostingLog.PlainHttpOnly(hostingLogger);
        }
        var tracker = app.Services.GetRequiredService<AnnounceTracker>();
        var manager = app.Services.GetRequiredService<DeploymentManager>();
        tracker.Closed += (hash, reason) => manager.OnSwarmClosed(hash.ToString(), reason);
        tracker.IsMember = (hash, address) => manager.IsSwarmMember(hash.ToString(), address);
        // A deployment to "all" machines takes any MAC that boots: no ocsmgrd menus while one is open.
        app.Services.GetRequiredService<OcsmgrdListener>().IsDeploying = mac =>
            manager.PendingDeployment(mac) is not null || manager.OpenDeployments().Any(d => d.AllMachines);
        TrackerEndpoints.Map(app);
        AgentEndpoints.Map(app);
        AdminEndpoints.Map(app, options);
        DashboardEndpoints.Map(app);
        ConsoleEndpoints.Map(app, options);
        MetricsEndpoint.Map(app);
        return app;
    }

    /// <summary>The certificate for https:// listen URLs (created in the state directory on first start), or null.</summary>
    private static X509Certificate2? HttpsFor(ServerOptions options)
    {
        if (!options.Listen.Split(';').Any(u => u.Trim().StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }
        if (options.StateDirectory is not { } state)
        {
            throw new InvalidOperationException("an https:// listen URL needs a state directory (--state) for its certificate");
        }
        return HttpsCertificate.LoadOrCreate(state);
    }

    private static void LogAdminToken(ILogger logger, AdminTokenSource source, ServerOptions options)
    {
        switch (source)
        {
            case AdminTokenSource.Configured:
                HostingLog.TokenConfigured(logger);
                break;
            case AdminTokenSource.File or AdminTokenSource.Created:
                var path = AdminToken.PathFor(options)!;
                HostingLog.TokenFile(logger, source == AdminTokenSource.Created ? "created" : "read from", path);
                break;
            case AdminTokenSource.Ephemeral:
                HostingLog.TokenEphemeral(logger);
                break;
            default:
                HostingLog.Insecure(logger);
                break;
        }
    }

    /// <summary>Under systemd, journald gets levels through the systemd console format.</summary>
    private static void AddSystemdConsoleIfJournal(this IServiceCollection services)
    {
        if (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null)
        {
            services.AddLogging(b => b.ClearProviders().AddSystemdConsole());
        }
    }
}

/// <summary>Every few seconds: tracker deadlines and expiry, deployment timeouts.</summary>
internal sealed class HousekeepingService(AnnounceTracker tracker, DeploymentManager manager, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                tracker.Tick();
                manager.Tick();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
    }
}
