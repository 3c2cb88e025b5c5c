using System.Runtime.CompilerServices;

namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>
/// A deployment test: needs root (loop devices, mount) and real programs, listed
/// comma-separated ("ezio,libtorrent,losetup"); skips as <see cref="SkipRule"/> says.
/// </summary>
public sealed class DeployFactAttribute(string tools, [CallerMemberName] string test = "")
    : RequiresFactAttribute("DEPLOY TEST", Tools.Split(tools), needsRoot: true, test);
