using Ezio.Deployment.Contracts;

namespace Ezio.Server.BootMenus;

/// <summary>What the menus of one machine should say.</summary>
internal sealed record MenuTarget(string Mac, string Image, string DeploymentId, AfterAction After);

/// <summary>
/// Writes per-MAC boot menus under the boot root: PXELINUX <c>pxelinux.cfg/01-aa-bb-…</c>, GRUB EFI
/// <c>grub/grub.cfg-01-aa:bb:…</c> and iPXE <c>aa:bb:….ipxe</c>. Each file is written to a temp
/// file in the same directory and renamed over the old one, so a TFTP server never serves half a
/// menu. Every path is checked to stay inside the boot root (no "..", no symlinked directories).
/// </summary>
internal sealed class BootMenuWriter(BootMenuOptions options, MenuTemplates templates, ILogger<BootMenuWriter> logger)
{
    private readonly string? _root = options.BootRoot is null ? null : Path.GetFullPath(options.BootRoot);

    public bool Enabled => _root is not null;

    /// <summary>Writes the deploy entry for every loader.</summary>
    public void WriteDeploy(MenuTarget target) => Write(target, deploy: true);

    /// <summary>Writes the local-disk entry for every loader (the machine is done).</summary>
    public void WriteLocal(MenuTarget target) => Write(target, deploy: false);

    /// <summary>The iPXE script for a machine, also served at /boot/&lt;mac&gt;.ipxe.</summary>
    public string RenderIpxe(MenuTarget target, bool deploy) => templates.Render(deploy ? "ipxe-deploy" : "ipxe-local", Values(target));

    public IReadOnlyList<(string RelativePath, string Content)> Render(MenuTarget target, bool deploy)
    {
        if (!MacAddress.TryNormalize(target.Mac, out var mac))
        {
            throw new ArgumentException($"not a MAC address: '{target.Mac}'", nameof(target));
        }
        var values = Values(target with { Mac = mac });
        var kind = deploy ? "deploy" : "local";
        return
        [
            ("pxelinux.cfg/01-" + MacAddress.WithDashes(mac), templates.Render("pxelinux-" + kind, values)),
            ("grub/grub.cfg-01-" + mac, templates.Render("grub-" + kind, values)),
            // GRUB 2.06's net_search_cfg_file asks for the MAC with dashes.
            ("grub/grub.cfg-01-" + MacAddress.WithDashes(mac), templates.Render("grub-" + kind, values)),
            (mac + ".ipxe", templates.Render("ipxe-" + kind, values)),
        ];
    }

    private void Write(MenuTarget target, bool deploy)
    {
        if (_root is null)
        {
            return;
        }
        foreach (var (relative, content) in Render(target, deploy))
        {
            WriteAtomically(relative, content);
        }
        BootMenusLog.Written(logger, target.Mac, deploy ? "deploy" : "local");
    }

    /// <summary>Resolves a path under the boot root, or throws when it would leave it.</summary>
    internal string Resolve(string relative)
    {
        var root = _root ?? throw new InvalidOperationException("no boot root configured");
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var rootWithSlash = root.EndsWith('/') ? root : root + "/";
        if (!full.StartsWith(rootWithSlash, StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new BootMenuPathException($"'{relative}' is outside the boot root");
        }
        // A directory on the way that is a symlink could point anywhere.
        for (var dir = Path.GetDirectoryName(full); dir is not null && dir.Length > root.Length; dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir) && new DirectoryInfo(dir).LinkTarget is not null)
            {
                throw new BootMenuPathException($"'{dir}' is a symbolic link");
            }
        }
        if (File.Exists(full) && new FileInfo(full).LinkTarget is not null)
        {
            throw new BootMenuPathException($"'{full}' is a symbolic link");
        }
        return full;
    }

    internal void WriteAtomically(string relative, string content)
    {
        var full = Resolve(relative);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(content);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private Dictionary<string, string> Values(MenuTarget target) => new(StringComparer.Ordinal)
    {
        ["mac"] = target.Mac,
        ["image"] = target.Image,
        ["deployment"] = target.DeploymentId,
        ["after"] = target.After.ToString().ToLowerInvariant(),
        ["server"] = options.ServerUrl.TrimEnd('/'),
        ["api"] = (options.ApiUrl ?? options.ServerUrl).TrimEnd('/'),
        ["kernel"] = options.Kernel,
        ["initrd"] = options.Initrd,
        ["append"] = options.Append,
    };
}

/// <summary>Settings of the boot menus (part of the server configuration).</summary>
internal sealed class BootMenuOptions
{
    /// <summary>TFTP/HTTP root holding pxelinux.cfg/ and grub/; null writes nothing.</summary>
    public string? BootRoot { get; set; }

    /// <summary>The URL boot loaders fetch kernels and agents fetch torrents and announce at (plain HTTP).</summary>
    public string ServerUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The URL agents reach the API at (goes into ezio.server=), when it is not <see cref="ServerUrl"/>: the https:// one.</summary>
    public string? ApiUrl { get; set; }

    /// <summary>Live-system kernel and initrd, relative to the boot root.</summary>
    public string Kernel { get; set; } = "ezio/vmlinuz";

    public string Initrd { get; set; } = "ezio/initrd.img";

    /// <summary>Kernel command line before the ezio.* parameters.</summary>
    public string Append { get; set; } = "boot=live components quiet";
}

internal sealed class BootMenuPathException(string message) : IOException(message);
