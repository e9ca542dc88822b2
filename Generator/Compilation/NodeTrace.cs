using System;
using ModelCompiler.Graph;

namespace ModelCompiler.Compilation;

/// <summary>
/// The node a pass is working on, so that the last-resort guard in <see cref="ModelCompilation.Compile"/> can
/// name it when something unexpected is thrown (MC9999 "... at node 'conv1' (Conv)"). Per thread: the
/// generator may compile several models at once, each on its own thread.
/// </summary>
internal static class NodeTrace
{
    [ThreadStatic] private static Node? t_current;

    public static Node? Current => t_current;

    /// <summary>Marks <paramref name="node"/> as the one being worked on (null: none).</summary>
    public static void At(Node? node) => t_current = node;
}
