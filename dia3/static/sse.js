// Leitor de Server-Sent Events pelas regras do WHATWG, alimentado aos pedaços.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
//
// Por que escrito à mão: o EventSource do navegador faz o mesmo, mas só com GET e sem o cabeçalho
// Authorization; com fetch + ReadableStream quem separa os eventos somos nós. O algoritmo da
// especificação é curto — está aqui passo a passo, como o dia3/sse.py do kit — e roda sem
// build nem CDN, na página e no Node (os testes comparam os dois com a mesma tabela de casos).
//
// Uso:
//   const parser = new SSEParser({
//     onEvent: (ev) => ...,    // {type, data, id}: um evento entregue (a linha vazia chegou)
//     onLine: (line) => ...,   // cada linha crua, na ordem em que chega ("" = a linha vazia)
//   });
//   parser.feed(textoQueChegou);  // quantas vezes for preciso, com pedaços de qualquer tamanho
//   parser.end();                 // fim do corpo: um evento sem a linha vazia final é descartado
(function () {
  "use strict";

  class SSEParser {
    constructor(handlers) {
      handlers = handlers || {};
      this.onEvent = handlers.onEvent || function () {};
      this.onLine = handlers.onLine || function () {};
      this.buffer = "";          // texto de uma linha que ainda não terminou
      this.started = false;      // já vimos o primeiro caractere? (o BOM só vale ali)
      this.skipLF = false;       // a última linha terminou em \r: um \n logo depois é o resto do \r\n
      this.data = "";            // data buffer
      this.eventType = "";       // event type buffer
      this.lastEventId = "";     // last event ID buffer (sobrevive entre eventos)
      this.retry = null;         // tempo de reconexão pedido pelo servidor (em ms)
    }

    feed(text) {
      if (!text) return;
      if (!this.started) {
        this.started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // um BOM no início é ignorado
      }
      let start = 0;
      if (this.skipLF && text[0] === "\n") start = 1;
      this.skipLF = false;
      for (let i = start; i < text.length; i++) {
        const ch = text[i];
        if (ch !== "\r" && ch !== "\n") continue;
        const line = this.buffer + text.slice(start, i);
        this.buffer = "";
        if (ch === "\r") {
          if (i + 1 < text.length) {
            if (text[i + 1] === "\n") i++;   // \r\n: uma quebra só
          } else {
            this.skipLF = true;              // o \n pode chegar no próximo pedaço
          }
        }
        start = i + 1;
        this.processLine(line);
      }
      this.buffer += text.slice(start);
    }

    end() {
      // Fim do stream: o que não terminou com uma linha vazia é descartado (regra da especificação).
      this.buffer = "";
      this.data = "";
      this.eventType = "";
    }

    processLine(line) {
      this.onLine(line);
      if (line === "") return this.dispatch();
      if (line[0] === ":") return; // comentário (um "ping", por exemplo)
      const colon = line.indexOf(":");
      let field = line;
      let value = "";
      if (colon !== -1) {
        field = line.slice(0, colon);
        value = line.slice(colon + 1);
        if (value[0] === " ") value = value.slice(1); // tira UM espaço depois dos dois-pontos
      }
      if (field === "data") {
        this.data += value + "\n";
      } else if (field === "event") {
        this.eventType = value;
      } else if (field === "id") {
        if (value.indexOf("\0") === -1) this.lastEventId = value;
      } else if (field === "retry") {
        if (/^[0-9]+$/.test(value)) this.retry = parseInt(value, 10);
      }
      // qualquer outro nome de campo é ignorado
    }

    dispatch() {
      const id = this.lastEventId;
      if (this.data === "") {   // sem campo data: nada é entregue (e o tipo volta ao padrão)
        this.eventType = "";
        return;
      }
      const data = this.data.slice(0, -1); // tira o último \n
      const type = this.eventType || "message";
      this.data = "";
      this.eventType = "";
      this.onEvent({ type: type, data: data, id: id });
    }
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { SSEParser: SSEParser };
  } else {
    globalThis.SSEParser = SSEParser;
  }
})();
