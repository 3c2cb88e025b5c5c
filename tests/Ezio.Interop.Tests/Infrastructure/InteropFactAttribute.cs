using System.Runtime.CompilerServices;

namespace Ezio.Interop.Tests.Infrastructure;

/// <summary>
/// A fact that needs real programs, listed comma-separated ("ezio,libtorrent"), and with
/// <c>needsRoot</c> root too (network namespaces, tc); skips as <see cref="SkipRule"/> says.
/// </summary>
public sealed class InteropFactAttribute(string tools, bool needsRoot = false, [CallerMemberName] string test = "")
    : RequiresFactAttribute("INTEROP TEST", Tools.Split(tools), needsRoot, test);
