using System.Diagnostics.CodeAnalysis;

namespace Ezio.Deployment.Contracts;

/// <summary>MAC address parsing shared by agent and server: the canonical form is aa:bb:cc:dd:ee:ff.</summary>
public static class MacAddress
{
    /// <summary>Accepts six hex pairs separated by ':' or '-' (any case); returns lowercase with ':'.</summary>
    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? mac)
    {
        mac = null;
        if (text is null || text.Length != 17)
        {
            return false;
        }
        var separator = text[2];
        if (separator is not (':' or '-'))
        {
            return false;
        }
        Span<char> result = stackalloc char[17];
        for (var i = 0; i < 17; i++)
        {
            var c = text[i];
            if (i % 3 == 2)
            {
                if (c != separator)
                {
                    return false;
                }
                result[i] = ':';
            }
            else if (char.IsAsciiHexDigit(c))
            {
                result[i] = char.ToLowerInvariant(c);
            }
            else
            {
                return false;
            }
        }
        mac = new string(result);
        return true;
    }

    /// <summary>aa-bb-cc-dd-ee-ff, the PXELINUX spelling.</summary>
    public static string WithDashes(string normalized) => normalized.Replace(':', '-');
}
