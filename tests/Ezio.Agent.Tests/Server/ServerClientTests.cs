using System.Net;
using System.Net.Sockets;
using System.Text;
using Ezio.Agent.Server;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests.Server;

/// <summary>The machine secret goes with every call to the server, and never to another host.</summary>
public sealed class ServerClientTests
{
    [Fact]
    public async Task Secret_SentToServer_NotToOtherHosts()
    {
        using var server = new OneShotHttp(IPAddress.Loopback, "{\"deploymentId\":\"d1\",\"keepSeeding\":true,\"reason\":null,\"machinesDone\":0,\"machinesTotal\":1,\"seedUntil\":null}");
        using var other = new OneShotHttp(IPAddress.Parse("127.0.0.2"), "torrent");
        using var client = new ServerClient(server.Url) { Secret = "s3cret-value" };

        var status = await client.GetSeedingAsync("d1", "m-020000000042", CancellationToken.None);
        await client.GetTorrentAsync(other.Url + "api/v1/images/img/torrent", CancellationToken.None);

        Assert.True(status.KeepSeeding);
        var request = await server.RequestAsync;
        Assert.StartsWith("GET /api/v1/seeding?deployment=d1&machine=m-020000000042 ", request, StringComparison.Ordinal);
        Assert.Contains($"\r\n{ApiRoutes.MachineSecretHeader}: s3cret-value\r\n", request, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret-value", await other.RequestAsync, StringComparison.Ordinal);
    }

    /// <summary>Answers one HTTP request with a given body and keeps the request's head.</summary>
    private sealed class OneShotHttp : IDisposable
    {
        private readonly TcpListener _listener;

        public OneShotHttp(IPAddress address, string body)
        {
            _listener = new TcpListener(address, 0);
            _listener.Start();
            Url = new Uri($"http://{address}:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            RequestAsync = ServeAsync(body);
        }

        public Uri Url { get; }

        public Task<string> RequestAsync { get; }

        private async Task<string> ServeAsync(string body)
        {
            using var connection = await _listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var stream = connection.GetStream();
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                if (n == 0)
                {
                    break;
                }
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            var bytes = Encoding.UTF8.GetBytes(body);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
            await stream.WriteAsync(bytes);
            return head.ToString();
        }

        public void Dispose() => _listener.Stop();
    }
}
