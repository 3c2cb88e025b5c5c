namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// nginx on 127.0.0.1 serving <c>/images/</c> from a directory: one process in the foreground
/// (daemon off, no master), everything it writes (pid, logs, temp files) in its own directory,
/// stopped by its PID. The access log has one "status range bytes" line per request.
/// </summary>
internal sealed class Nginx : IDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    private Nginx(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string UrlOf(string relative) => $"http://127.0.0.1:{Port}/images/{relative}";

    /// <summary>The access log under /images/ so far (not the readiness probe): "206 /images/x bytes=0-1048575 1048576" per request.</summary>
    public IReadOnlyList<string> Requests =>
        File.Exists(AccessLog) ? File.ReadAllLines(AccessLog).Where(l => l.Contains(" /images/", StringComparison.Ordinal)).ToList() : [];

    private string AccessLog => Path.Combine(_directory, "access.log");

    /// <param name="limitRate">nginx's limit_rate per connection ("2m"), or null for none.</param>
    public static async Task<Nginx> StartAsync(string directory, string root, string? limitRate = null)
    {
        Directory.CreateDirectory(Path.Combine(directory, "tmp"));
        int port = FreePort.Next();
        string config = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 512; }
            http {
                log_format ranges '$status $uri $http_range $body_bytes_sent';
                access_log {{directory}}/access.log ranges;
                client_body_temp_path {{directory}}/tmp/body;
                proxy_temp_path {{directory}}/tmp/proxy;
                fastcgi_temp_path {{directory}}/tmp/fastcgi;
                uwsgi_temp_path {{directory}}/tmp/uwsgi;
                scgi_temp_path {{directory}}/tmp/scgi;
                server {
                    listen 127.0.0.1:{{port}};
                    location /images/ {
                        alias {{root}}/;
                        {{(limitRate is null ? "" : $"limit_rate {limitRate};")}}
                    }
                }
            }
            """);
        var process = ChildProcess.Start(Tools.Require("nginx"), ["-p", directory, "-e", Path.Combine(directory, "error.log"), "-c", config]);
        try
        {
            await HttpProbe.WaitForAnswerAsync(port, TimeSpan.FromSeconds(30),
                () => process.HasExited ? process.Output + File.ReadAllText(Path.Combine(directory, "error.log")) : null);
            return new Nginx(process, directory, port);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    public void Dispose() => _process.Dispose();
}
