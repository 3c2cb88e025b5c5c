using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ezio.Deployment.Signing;
using Ezio.Server.BootFiles;
using Ezio.Server.Hosting;

namespace Ezio.Server.Cli;

/// <summary>
/// `setup --interface IF`: from installed packages to a configured server in one command. It
/// makes the image repository and the state directory with the admin token and the job signing
/// key, fills the boot root from the ezio-netboot files, points the config's boot URL at the
/// interface's address, renders the dnsmasq configuration for that interface, and starts the
/// service when systemd runs. Each step compares with what is there and changes only what
/// differs, so a second run changes nothing and says so. Everything is checked before the
/// first change: bad input changes nothing.
/// </summary>
internal static partial class SetupCommand
{
    public const string Usage = "ezio-server setup --interface IF [--dhcp proxy|lab] [--range START,END] [--config FILE] [--netboot DIR] [--dnsmasq-conf FILE] [--user NAME]";
    public const string DefaultNetboot = "/usr/lib/ezio-netboot";
    public const string DefaultDnsmasqConf = "/etc/dnsmasq.d/ezio-netboot.conf";
    public const string DefaultBootRoot = "/srv/tftp";
    public const string SigningKeyName = "signing-key.pem";
    public const string PublicKeyName = "signing-key.pub";

    private const string ConfigHeader = """
        // Ezio server settings: every key is optional (ezio-server(8)); a commented example is
        // /usr/share/doc/ezio-server/examples/server.json. `ezio-server setup` rewrites this
        // file with the boot URL and signing key it sets up, keeping the other keys (not comments).

        """;

    [GeneratedRegex("@[A-Z][A-Z0-9_]*@")]
    private static partial Regex Placeholder();

    public static int Run(string[] args, TextWriter output)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new UsageException("setup sets up a Linux server");
        }
        var cl = Options.Parse(args, ["--interface", "--dhcp", "--range", "--config", "--netboot", "--dnsmasq-conf", "--user"]);
        if (cl.Positionals.Count != 0 || cl.Value("--interface") is not { Length: > 0 } name)
        {
            throw new UsageException(Usage);
        }
        var dhcp = cl.Value("--dhcp") ?? "proxy";
        if (dhcp is not ("proxy" or "lab"))
        {
            throw new UsageException($"--dhcp wants proxy (beside the site's DHCP server) or lab (dnsmasq leases addresses), not '{dhcp}'");
        }
        var configPath = cl.Value("--config") ?? ServeCommand.DefaultConfig;
        var netboot = cl.Value("--netboot") ?? DefaultNetboot;
        var dnsmasqConf = cl.Value("--dnsmasq-conf") ?? DefaultDnsmasqConf;

        // Checks first.
        var (address, prefix) = InterfaceAddress(name);
        var config = ReadConfig(configPath);
        var options = File.Exists(configPath) ? ServerOptions.LoadFile(configPath) : new ServerOptions();
        var state = options.StateDirectory ?? throw new UsageException($"{configPath} names no stateDirectory: the token and keys live there");
        var account = ServiceAccount(cl.Value("--user") ?? "ezio-server");
        var keyPath = options.SigningKeyFile ?? Path.Combine(state, SigningKeyName);
        string? keyPem = null;
        if (File.Exists(keyPath))
        {
            keyPem = File.ReadAllText(keyPath);
            try
            {
                using var existing = JobSigner.LoadPrivateKey(keyPem);
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                throw new UsageException($"{keyPath} is not a PEM EC private key ({e.Message}); move it away to have a new one made");
            }
        }
        var bootRoot = options.Menus.BootRoot ?? DefaultBootRoot;
        var serverUrl = $"http://{address}:{HttpPort(options.Listen)}";
        var template = Path.Combine(netboot, "dnsmasq", dhcp + ".conf.in");
        var hasNetboot = File.Exists(Path.Combine(netboot, "boot-setup.sh"));
        var dnsmasqValues = DnsmasqValues(dhcp, name, address, prefix, bootRoot, serverUrl, cl.Value("--range"));

        var changes = new Changes(account, output);
        output.WriteLine($"ezio-server setup: {name} {address}/{prefix}, dnsmasq {(dhcp == "lab" ? "lab DHCP" : "proxy-DHCP")}, server {serverUrl}");
        changes.Directory(options.Repo, UnixFileMode.None, service: false, "image repository");
        changes.Directory(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, service: true, "state directory");

        // The admin token: made once, never replaced (deploy/status on this host read it).
        if (string.IsNullOrEmpty(options.AdminToken) && !options.Insecure && AdminToken.PathFor(options) is { } tokenPath && AdminToken.Read(tokenPath) is null)
        {
            AdminToken.Resolve(options);
            changes.Own(tokenPath);
            changes.Note($"created the admin token {tokenPath} (0600)");
        }

        // The job signing key (agents given its public half accept only jobs this server signed).
        if (keyPem is null)
        {
            using var key = JobSigner.CreateKey();
            keyPem = key.ExportPkcs8PrivateKeyPem();
            changes.File(keyPath, Encoding.ASCII.GetBytes(keyPem), UnixFileMode.UserRead | UnixFileMode.UserWrite, service: true, "job signing key");
        }
        byte[] publicPem;
        using (var key = JobSigner.LoadPrivateKey(keyPem))
        {
            publicPem = Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem() + "\n");
            changes.File(Path.Combine(Path.GetDirectoryName(keyPath)!, PublicKeyName), publicPem,
                Changes.Readable, service: false, "public key, the agents' trusted.pub");
        }
        if (options.Listen.Contains("https://", StringComparison.OrdinalIgnoreCase) && !File.Exists(HttpsCertificate.CertificatePath(state)))
        {
            using var certificate = HttpsCertificate.LoadOrCreate(state);
            changes.Own(HttpsCertificate.CertificatePath(state));
            changes.Own(Path.Combine(state, HttpsCertificate.KeyFileName));
            changes.Note($"created the HTTPS certificate {HttpsCertificate.CertificatePath(state)} (sha256 {HttpsCertificate.Fingerprint(certificate)})");
        }

        // The boot root: the server writes per-MAC menus into it and two of its directories.
        changes.Directory(bootRoot, UnixFileMode.None, service: true, "boot root");
        changes.Own(bootRoot);
        if (hasNetboot)
        {
            FillBootRoot(netboot, bootRoot, serverUrl, options.Menus.Append, publicPem, changes);
            if (changes.Changed(Path.Combine(bootRoot, "live", "initrd.img")))
            {
                output.WriteLine($"  the agent initrd {Path.Combine(bootRoot, "live", "initrd.img")} trusts only jobs signed by {keyPath}");
            }
            foreach (var dir in new[] { "pxelinux.cfg", "grub" })
            {
                changes.Own(Path.Combine(bootRoot, dir));
            }
        }
        else
        {
            output.WriteLine($"  no ezio-netboot files in {netboot}: boot root left as it is (apt install ezio-netboot)");
        }

        // The config: the boot URL on this interface, the boot root and the signing key.
        var menus = Child(config, "menus");
        Set(menus, "serverUrl", serverUrl);
        Set(menus, "bootRoot", bootRoot);
        Set(config, "signingKeyFile", keyPath);
        changes.File(configPath, Encoding.UTF8.GetBytes(ConfigText(config)), Changes.Readable, service: false, "config");

        if (File.Exists(template))
        {
            var text = $"# Written by `ezio-server setup --interface {name} --dhcp {dhcp}`; run it again to change it.\n" + Render(template, dnsmasqValues);
            changes.File(dnsmasqConf, Encoding.UTF8.GetBytes(text), Changes.Readable, service: false, "dnsmasq " + dhcp + " configuration");
        }
        else
        {
            output.WriteLine($"  no dnsmasq template {template}: no dnsmasq configuration written (apt install ezio-netboot)");
        }

        var systemd = Directory.Exists("/run/systemd/system") && Environment.IsPrivilegedProcess;
        if (systemd)
        {
            Systemctl(changes.Count > 0 ? "restart" : "start", "ezio-server.service");
            Systemctl("enable", "ezio-server.service");
            if (changes.Changed(dnsmasqConf))
            {
                Systemctl("try-restart", "dnsmasq.service");
            }
        }
        output.WriteLine(changes.Count == 0
            ? "ezio-server setup: nothing changed: everything was already set up"
            : $"ezio-server setup: {changes.Count} change(s)");
        output.WriteLine($"""
            dashboard: {serverUrl}/
            next:
            {(systemd ? "" : "  systemctl enable --now ezio-server   (or run ezio-server as its user)\n")}  {(File.Exists(template) ? $"apt install dnsmasq (if missing); systemctl restart dnsmasq   ({dnsmasqConf})\n" : "")}  ezio image import /home/partimag/IMAGE {options.Repo}/IMAGE   (or: ezio image capture /dev/sdX {options.Repo}/IMAGE)
              ezio-server deploy IMAGE --machines MAC,MAC,... --after reboot
            """);
        return 0;
    }

    /// <summary>The first IPv4 address of <paramref name="name"/> and its prefix length.</summary>
    private static (IPAddress Address, int Prefix) InterfaceAddress(string name)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
            ?? throw new UsageException($"no network interface {name} (ip -br link lists them)");
        var v4 = nic.GetIPProperties().UnicastAddresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new UsageException($"{name} has no IPv4 address; give it the one machines reach the server at (ip addr add 10.0.0.1/24 dev {name})");
        return (v4.Address, v4.PrefixLength);
    }

    /// <summary>The port of the first http:// listen URL (boot files, torrents, announces), 8080 without one.</summary>
    private static int HttpPort(string listen)
    {
        var http = listen.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        return http is not null && Uri.TryCreate(http.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            ? uri.Port
            : 8080;
    }

    /// <summary>The placeholders of pxe/dnsmasq/&lt;mode&gt;.conf.in for this interface.</summary>
    private static Dictionary<string, string> DnsmasqValues(string mode, string name, IPAddress address, int prefix, string bootRoot, string serverUrl, string? range)
    {
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        var ip = BitConverter.IsLittleEndian ? BitConverter.ToUInt32([.. address.GetAddressBytes().Reverse()]) : BitConverter.ToUInt32(address.GetAddressBytes());
        var network = ToAddress(ip & mask);
        // Like pxe/dnsmasq-config.sh: UEFI PXE gets the signed shim (Secure Boot on or off),
        // UEFI HTTP Boot the URL of iPXE on this server.
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["IFACE"] = name, ["TFTP_ROOT"] = bootRoot, ["SERVER_IP"] = address.ToString(), ["UEFI_LOADER"] = "shimx64.efi",
        };
        if (mode == "proxy")
        {
            values["PROXY_NET"] = network.ToString();
            return values;
        }
        string start, end;
        if (range is not null)
        {
            var parts = range.Split(',');
            if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var a) || !IPAddress.TryParse(parts[1], out var b)
                || a.AddressFamily != AddressFamily.InterNetwork || b.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new UsageException($"--range wants START,END IPv4 addresses, not '{range}'");
            }
            (start, end) = (a.ToString(), b.ToString());
        }
        else if (prefix <= 24)
        {
            // Like pxe/dnsmasq-config.sh: .100-.199 of the server's /24.
            var bytes = address.GetAddressBytes();
            (start, end) = ($"{bytes[0]}.{bytes[1]}.{bytes[2]}.100", $"{bytes[0]}.{bytes[1]}.{bytes[2]}.199");
        }
        else
        {
            throw new UsageException($"{name} is a /{prefix}: name the addresses to lease with --range START,END");
        }
        values["RANGE_START"] = start;
        values["RANGE_END"] = end;
        values["NETMASK"] = ToAddress(mask).ToString();
        values["LEASE"] = "1h";
        values["HTTP_BOOT_URL"] = serverUrl + "/boot/ipxe/snponly.efi";
        return values;
    }

    private static IPAddress ToAddress(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    /// <summary>Fills @NAME@ placeholders like pxe/render.sh: a leftover one is an error.</summary>
    internal static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var text = File.ReadAllText(template);
        foreach (var (name, value) in values)
        {
            text = text.Replace("@" + name + "@", value, StringComparison.Ordinal);
        }
        return Placeholder().Match(text) is { Success: true } left
            ? throw new UsageException($"{template}: no value for {left.Value}")
            : text.TrimEnd('\n') + "\n";
    }

    /// <summary>
    /// Runs ezio-netboot's boot-setup.sh into a scratch directory, bakes the public key into the
    /// agent initrd there, then copies what differs into the boot root (its per-MAC menus are
    /// left alone). The scratch initrd is made from the packaged one on every run, so the same
    /// key gives the same bytes (nothing to copy) and a new key replaces the old one.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void FillBootRoot(string netboot, string bootRoot, string serverUrl, string append, byte[] publicPem, Changes changes)
    {
        var scratch = System.IO.Directory.CreateTempSubdirectory("ezio-setup-");
        try
        {
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { Path.Combine(netboot, "boot-setup.sh"), "--boot-root", scratch.FullName, "--server-url", serverUrl, "--live", Path.Combine(netboot, "initrd-agent"), "--append", append })
            {
                info.ArgumentList.Add(arg);
            }
            using var process = Process.Start(info) ?? throw new IOException("cannot run bash");
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new IOException($"{Path.Combine(netboot, "boot-setup.sh")} failed ({process.ExitCode}): {stderr.Result.Trim()}");
            }
            var before = changes.Count;
            // server-menus.json names the scratch directory; the config gets those values instead.
            File.Delete(Path.Combine(scratch.FullName, "server-menus.json"));
            BakeTrustedKey(Path.Combine(scratch.FullName, "live"), publicPem);
            changes.Sync(scratch, bootRoot);
            changes.Summarize(before, $"boot files in {bootRoot}");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Appends a cpio archive holding etc/ezio/trusted.pub to <paramref name="live"/>/initrd.img
    /// (the kernel unpacks it after the packaged archive, so the agent finds the key where it
    /// looks by default) and updates initrd.img's line in SHA256SUMS. Both are written to new
    /// files and renamed: boot-setup.sh may have hard-linked the packaged ones.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal static void BakeTrustedKey(string live, byte[] publicPem)
    {
        var initrd = Path.Combine(live, "initrd.img");
        if (!File.Exists(initrd))
        {
            return;
        }
        const UnixFileMode directory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var baked = initrd + ".baked";
        NewcArchive.AppendTo(initrd, baked, [
            NewcArchive.Entry.Directory("etc", directory),
            NewcArchive.Entry.Directory("etc/ezio", directory),
            NewcArchive.Entry.File("etc/ezio/trusted.pub", Changes.Readable, publicPem),
        ]);
        File.Move(baked, initrd, overwrite: true);

        var sums = Path.Combine(live, "SHA256SUMS");
        if (File.Exists(sums))
        {
            string hash;
            using (var stream = File.OpenRead(initrd))
            {
                hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            var lines = File.ReadAllLines(sums).Select(line =>
                line.EndsWith("  initrd.img", StringComparison.Ordinal) || line.EndsWith(" *initrd.img", StringComparison.Ordinal) ? $"{hash}  initrd.img" : line);
            File.WriteAllText(sums + ".baked", string.Join("\n", lines) + "\n");
            File.Move(sums + ".baked", sums, overwrite: true);
        }
    }

    private static JsonObject ReadConfig(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new UsageException($"{path} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path} is not valid JSON: {e.Message}");
        }
    }

    /// <summary>The object under <paramref name="name"/> (matched like the server reads it: ignoring case), made when missing.</summary>
    private static JsonObject Child(JsonObject parent, string name)
    {
        var key = parent.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) ?? name;
        if (parent[key] is JsonObject child)
        {
            return child;
        }
        child = [];
        parent[key] = child;
        return child;
    }

    private static void Set(JsonObject parent, string name, string value)
    {
        var key = parent.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) ?? name;
        parent[key] = JsonValue.Create(value);
    }

    private static string ConfigText(JsonObject config)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            config.WriteTo(writer);
        }
        return ConfigHeader + Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>The service user's uid and gid when running as root; null otherwise (files stay the caller's).</summary>
    private static (uint Uid, uint Gid)? ServiceAccount(string user)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return null;
        }
        return UnixAccount.Find(user)
            ?? throw new UsageException($"no user {user} (the ezio-server package makes it with systemd-sysusers; --user names another)");
    }

    private static void Systemctl(params string[] args)
    {
        var info = new ProcessStartInfo("systemctl");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info);
        process?.WaitForExit();
    }
}
