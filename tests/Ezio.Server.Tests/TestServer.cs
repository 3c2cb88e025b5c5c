using System.Net.Http.Json;
using System.Security.Cryptography;
using Ezio.BitTorrent.Metainfo;
using Ezio.Deployment.Contracts;
using Ezio.Server.Hosting;
using Ezio.Server.Seeding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ezio.Server.Tests;

/// <summary>A real ezio-server (Kestrel on 127.0.0.1:0) over temp repo/state/boot dirs.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, TestDirs dirs, ServerOptions options)
    {
        _app = app;
        Dirs = dirs;
        Options = options;
    }

    public TestDirs Dirs { get; }
    public ServerOptions Options { get; }
    public Uri BaseAddress { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public IServiceProvider Services => _app.Services;
    public int PeerPort => Services.GetRequiredService<DeploymentSeeder>().Port;

    public static async Task<TestServer> StartAsync(TestDirs? dirs = null, Action<ServerOptions>? configure = null, TimeProvider? time = null)
    {
        dirs ??= new TestDirs();
        var options = new ServerOptions
        {
            Repo = dirs.Repo,
            Listen = "http://127.0.0.1:0",
            StateDirectory = dirs.State,
            PeerPort = 0,
            Menus = new Ezio.Server.BootMenus.BootMenuOptions { BootRoot = dirs.Boot, ServerUrl = "http://127.0.0.1:1" },
        };
        configure?.Invoke(options);
        var app = ServerHost.Build(options, time, logging: _ => { });
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new TestServer(app, dirs, options) { BaseAddress = new Uri(address) };
        server.Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        // The admin's client: the token the server made (or was given) on start.
        if (options.AdminToken is { } token)
        {
            server.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        return server;
    }

    /// <summary>
    /// A client without the admin token, as an agent or another host on the LAN: sends
    /// <paramref name="secret"/> as the machine secret when given, and connects from
    /// <paramref name="localAddress"/> (any 127.x.y.z works on loopback) when given.
    /// </summary>
    public HttpClient Client(string? secret = null, string? localAddress = null)
    {
        var handler = new SocketsHttpHandler();
        if (localAddress is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                try
                {
                    socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(localAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Add(ApiRoutes.MachineSecretHeader, secret);
        }
        return client;
    }

    public async Task<DeploymentInfo> DeployAsync(CreateDeploymentRequest request)
    {
        using var response = await Http.PostAsJsonAsync(ApiRoutes.Deployments, request, DeploymentJsonContext.Default.CreateDeploymentRequest).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(DeploymentJsonContext.Default.DeploymentInfo).ConfigureAwait(false))!;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Temp directories, removed on dispose... by the OS; tests keep them for inspection.</summary>
internal sealed class TestDirs
{
    public TestDirs()
    {
        Root = Directory.CreateTempSubdirectory("ezio-server-test-").FullName;
        Directory.CreateDirectory(Repo);
        Directory.CreateDirectory(Boot);
    }

    public string Root { get; }
    public string Repo => Path.Combine(Root, "repo");
    public string State => Path.Combine(Root, "state");
    public string Boot => Path.Combine(Root, "tftp");

    /// <summary>
    /// Makes an Ezio image repo/&lt;name&gt;/{image.json,name.torrent,pieces.ezp} of a 1 MiB
    /// "disk" whose second half is one raw partition of random bytes; returns the partition.
    /// </summary>
    public (byte[] Partition, Ezio.Imaging.ImageManifest Manifest) AddEzioImage(string name)
    {
        var partition = RandomNumberGenerator.GetBytes(512 * 1024);
        var manifest = new Ezio.Imaging.ImageManifest
        {
            Name = name,
            Source = "test",
            DiskSize = 1 << 20,
            PartitionTable = new Ezio.Imaging.PartitionTableInfo { Label = "dos", Sfdisk = "label: dos\nunit: sectors\n\n/dev/sda1 : start=1024, size=1024, type=83\n" },
        };
        var segment = new Ezio.Imaging.Build.DiskSegment(512 * 1024, Ezio.Imaging.Partclone.RawBlockSource.FromBytes(partition), "sda1");
        var built = Ezio.Imaging.Build.ImageBuilder.Build(Path.Combine(Repo, name), manifest, [segment],
            new Ezio.Imaging.Build.ImageBuildOptions { PieceLength = 64 * 1024 });
        return (partition, built);
    }

    /// <summary>Makes repo/&lt;name&gt;/{name.torrent,data} with random content; returns the torrent.</summary>
    public Torrent AddImage(string name, int length = 3 * 65536 + 1234, int pieceLength = 65536)
    {
        var directory = Path.Combine(Repo, name);
        Directory.CreateDirectory(directory);
        var data = Path.Combine(directory, "data");
        File.WriteAllBytes(data, RandomNumberGenerator.GetBytes(length));
        var bytes = TorrentBuilder.Create(data, new TorrentBuildOptions { PieceLength = pieceLength, Name = name + ".img" });
        File.WriteAllBytes(Path.Combine(directory, name + ".torrent"), bytes);
        return Torrent.Parse(bytes);
    }
}
