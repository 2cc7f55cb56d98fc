// `npm start`: placeholder until the demo lands (issue 4). Prints what is built so far.
console.log('mcptrail: packages built. The end-to-end demo (processor + example servers + agent) is not wired yet.');
