using System.Diagnostics.CodeAnalysis;

namespace Ezio.Server.BootFiles;

/// <summary>
/// The live system's files (kernel, initrd, root squashfs) that iPXE and live-boot fetch over
/// HTTP. They live in one directory (<c>--live-dir</c>, default <c>&lt;boot-root&gt;/live</c>);
/// a request names a file relative to it and can never reach anything outside: no "..", no
/// hidden names, and a symbolic link counts only when its final target is inside too.
/// </summary>
internal sealed class LiveFiles(string? directory)
{
    public const int MaxPathLength = 512;

    public string? Root { get; } = directory is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    /// <summary>Finds a regular file for a request path like "vmlinuz" or "amd64/initrd.img".</summary>
    public bool TryResolve(string? relative, [NotNullWhen(true)] out FileInfo? file)
    {
        file = null;
        if (Root is null || string.IsNullOrEmpty(relative) || relative.Length > MaxPathLength)
        {
            return false;
        }
        var segments = relative.Split('/');
        foreach (var segment in segments)
        {
            if (segment.Length == 0 || segment[0] == '.' || segment.Contains('\\') || segment.Any(char.IsControl))
            {
                return false;
            }
        }
        var full = Path.GetFullPath(Path.Combine(Root, relative));
        if (!IsInside(full))
        {
            return false;
        }
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            return false;
        }
        if (info.LinkTarget is not null || HasLinkedDirectory(full))
        {
            // Links are fine (vmlinuz -> vmlinuz-6.1.0-30-amd64) as long as they stay inside.
            var target = File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
            if (!IsInside(Path.GetFullPath(target)) || HasLinkedDirectory(target))
            {
                return false;
            }
            info = new FileInfo(target);
            if (!info.Exists)
            {
                return false;
            }
        }
        file = info;
        return true;
    }

    private bool IsInside(string full) => full.StartsWith(Root + "/", StringComparison.Ordinal);

    /// <summary>A directory on the way that is a symbolic link could point anywhere.</summary>
    private bool HasLinkedDirectory(string full)
    {
        for (var dir = Path.GetDirectoryName(full); dir is not null && dir.Length > Root!.Length; dir = Path.GetDirectoryName(dir))
        {
            if (new DirectoryInfo(dir).LinkTarget is not null)
            {
                return true;
            }
        }
        return false;
    }

    public static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".ipxe" or ".cfg" or ".txt" => "text/plain",
        _ => "application/octet-stream",
    };
}
