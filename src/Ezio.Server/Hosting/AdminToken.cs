using System.Buffers.Text;
using System.Security.Cryptography;

namespace Ezio.Server.Hosting;

/// <summary>Where the admin token came from, for the start-up log.</summary>
internal enum AdminTokenSource
{
    /// <summary>Given by --admin-token or the config file.</summary>
    Configured,

    /// <summary>Read from the state directory's token file.</summary>
    File,

    /// <summary>Made on this start and written to the state directory (mode 0600).</summary>
    Created,

    /// <summary>No state directory: made for this run only, never written.</summary>
    Ephemeral,

    /// <summary>--insecure: the admin API is open to anyone on the network.</summary>
    None,
}

/// <summary>
/// The admin API always needs a secret unless the admin says --insecure. The server makes a
/// random token on its first start, in &lt;state&gt;/admin-token (0600); `ezio-server deploy`
/// and `status` on the same host read it from there.
/// </summary>
internal static class AdminToken
{
    public const string FileName = "admin-token";

    /// <summary>The token file for these options, or null when there is no state directory.</summary>
    public static string? PathFor(ServerOptions options) =>
        options.AdminTokenFile ?? (options.StateDirectory is { } state ? Path.Combine(state, FileName) : null);

    /// <summary>Sets <see cref="ServerOptions.AdminToken"/> (null only when insecure) and says where it came from.</summary>
    public static AdminTokenSource Resolve(ServerOptions options)
    {
        if (!string.IsNullOrEmpty(options.AdminToken))
        {
            return AdminTokenSource.Configured;
        }
        if (options.Insecure)
        {
            options.AdminToken = null;
            return AdminTokenSource.None;
        }
        if (PathFor(options) is not { } path)
        {
            options.AdminToken = NewToken();
            return AdminTokenSource.Ephemeral;
        }
        if (Read(path) is { } existing)
        {
            options.AdminToken = existing;
            return AdminTokenSource.File;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var token = NewToken();
        // CreateNew with 0600: the token is never readable by others, not even for a moment.
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(path, create))
        using (var writer = new StreamWriter(stream))
        {
            writer.WriteLine(token);
        }
        options.AdminToken = token;
        return AdminTokenSource.Created;
    }

    /// <summary>The token in <paramref name="path"/>, or null when the file is missing or empty.</summary>
    public static string? Read(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
