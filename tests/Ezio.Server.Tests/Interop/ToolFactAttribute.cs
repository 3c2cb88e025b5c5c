using System.Runtime.CompilerServices;
using Ezio.TestKit.Processes;

namespace Ezio.Server.Tests.Interop;

/// <summary>A server test that drives real programs ("ezio", "libtorrent", "chromium"); skips as <see cref="SkipRule"/> says.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ToolFactAttribute(string tools, [CallerMemberName] string test = "")
    : RequiresFactAttribute("SERVER TEST", Tools.Split(tools), needsRoot: false, test);
