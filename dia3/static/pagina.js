// A página do dia3: login, um pedido a /api/generate ou /chat e a resposta chegando token a token.
//
// Por que fetch e não EventSource: o EventSource só faz GET e não envia Authorization: Bearer.
// Aqui o corpo é lido com fetch + ReadableStream e os eventos são separados pelo SSEParser (sse.js),
// que segue as regras do WHATWG. Leia de cima para baixo: enviar() → lerStream() → aoEvento().
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const el = {
    login: $("login"), usuario: $("usuario"), senha: $("senha"), entrar: $("entrar"),
    conectado: $("conectado"), quem: $("quem"), sair: $("sair"), token: $("token"), loginMsg: $("login-msg"),
    pedido: $("pedido"), prompt: $("prompt"), modelo: $("modelo"), stream: $("stream"),
    enviar: $("enviar"), parar: $("parar"),
    estado: $("estado"), erro: $("erro"), saida: $("saida"),
    primeiro: $("m-primeiro"), total: $("m-total"), eventos: $("m-eventos"), linha: $("linha-do-tempo"),
    fio: $("fio-linhas"),
  };
  let controller = null;     // o AbortController do pedido em andamento (o botão Parar)
  let marcas = [];           // [{t, tipo}] a chegada de cada evento, para a linha do tempo
  const numero = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 0 }); // "1.234 ms"

  // ------------------------------------------------------------------ login

  el.login.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    mensagemLogin("Entrando…");
    let resp;
    try {
      resp = await fetch("/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: el.usuario.value, password: el.senha.value }),
      });
    } catch (err) {
      return mensagemLogin("Não consegui falar com o servidor. O dia3 serve está rodando?", true);
    }
    if (resp.status === 401) return mensagemLogin("Usuário ou senha incorretos (401).", true);
    if (!resp.ok) return mensagemLogin(await descreverErroHttp(resp, "/login"), true);
    const corpo = await resp.json().catch(() => ({}));
    if (typeof corpo.access_token !== "string") {
      return mensagemLogin('O /login respondeu 200, mas sem "access_token" no JSON.', true);
    }
    el.token.value = corpo.access_token;
    el.quem.textContent = el.usuario.value;
    mostrarLogin(false);
    mensagemLogin("");
    el.prompt.focus();
  });

  el.sair.addEventListener("click", () => {
    el.token.value = "";
    mostrarLogin(true);
    mensagemLogin("Você saiu. Entre de novo para enviar.");
  });

  function mostrarLogin(visivel) {
    el.login.hidden = !visivel;
    el.conectado.hidden = visivel;
    if (visivel) el.usuario.focus();
  }

  function mensagemLogin(texto, erro) {
    el.loginMsg.textContent = texto;
    el.loginMsg.className = erro ? "erro" : "";
  }

  // ------------------------------------------------------------------ o pedido

  document.querySelectorAll('input[name="rota"]').forEach((radio) =>
    radio.addEventListener("change", () => {
      const generate = rota() === "/api/generate";
      el.stream.disabled = generate;   // /api/generate é sempre streaming
      if (generate) el.stream.checked = true;
    }));

  function rota() {
    return document.querySelector('input[name="rota"]:checked').value;
  }

  el.parar.addEventListener("click", () => {
    if (controller) controller.abort();
  });

  el.pedido.addEventListener("submit", (ev) => {
    ev.preventDefault();
    enviar();
  });

  async function enviar() {
    limpar();
    const caminho = rota();
    const corpo = { prompt: el.prompt.value };
    if (el.modelo.value.trim()) corpo.model = el.modelo.value.trim();
    if (caminho === "/chat") corpo.stream = el.stream.checked;
    const pediuStream = caminho === "/api/generate" || corpo.stream;
    const headers = { "Content-Type": "application/json" };
    if (el.token.value) headers.Authorization = "Bearer " + el.token.value;

    controller = new AbortController();
    ocupado(true);
    estado("enviando", "Enviando… esperando a resposta do servidor.");
    fio("fio-meta", "→ POST " + caminho + "  " + JSON.stringify(corpo));
    const t0 = performance.now();
    let resp;
    try {
      resp = await fetch(caminho, { method: "POST", headers, body: JSON.stringify(corpo), signal: controller.signal });
    } catch (err) {
      if (controller.signal.aborted) estado("parado", textoParado());
      else erroGeral("cortado", "Sem resposta: a conexão com o servidor falhou (" + err.message + "). O dia3 serve está rodando?");
      return ocupado(false);
    }
    const tipo = resp.headers.get("content-type") || "";
    fio("fio-meta", "← HTTP " + resp.status + "  content-type: " + (tipo || "(nenhum)"));

    try {
      if (resp.status === 401) {
        el.token.value = "";
        mostrarLogin(true);
        mensagemLogin("O servidor recusou o token (401): entre de novo.", true);
        erroGeral("erro", "401 Não autenticado: o token faltou, expirou ou foi alterado. Faça login de novo (acima).");
      } else if (!resp.ok) {
        erroGeral("erro", await descreverErroHttp(resp, caminho));
      } else if (tipo.startsWith("text/event-stream")) {
        if (!pediuStream) aviso("Você pediu stream: false, mas a resposta veio em SSE (text/event-stream).");
        await lerStream(resp, t0);
      } else {
        if (pediuStream) {
          aviso("Você pediu streaming, mas a resposta veio como " + (tipo || "sem content-type") +
                ", não text/event-stream: o navegador não tem como mostrar os tokens aos poucos (guia §3.4).");
        }
        await lerInteira(resp, t0);
      }
    } catch (err) {
      if (controller.signal.aborted) estado("parado", textoParado());
      else erroGeral("cortado", "A conexão caiu no meio do stream, sem [DONE] (" + err.message + "): a resposta acima está incompleta.");
    } finally {
      ocupado(false);
    }
  }

  // ------------------------------------------------------------------ o stream, evento a evento

  async function lerStream(resp, t0) {
    // chegada: quando o pedaço de texto chegou (as linhas e os eventos de um pedaço chegam juntos)
    const s = { t0, chegada: 0, eventos: 0, done: false, erro: false, depoisDoDone: false };
    const parser = new SSEParser({
      onLine: (linha) => fio(linha === "" ? "fio-vazia" : "fio-linha", linha, s.chegada),
      onEvent: (evento) => aoEvento(evento, s),
    });
    estado("recebendo", "Recebendo o stream…");
    // TextDecoderStream junta os bytes de um caractere partido entre dois pedaços (acentos, emoji).
    const leitor = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await leitor.read();
      if (done) break;
      s.chegada = performance.now() - t0;
      parser.feed(value);
    }
    parser.end();
    if (s.erro) return; // aoEvento já mostrou o event: error
    if (s.done) {
      estado("concluido", "Concluído: " + s.eventos + " eventos, terminando em [DONE].");
      if (s.depoisDoDone) aviso("Chegaram eventos depois do [DONE]: o [DONE] tem de ser o último (guia §3.3).");
    } else {
      el.total.textContent = ms(performance.now() - t0);
      erroGeral("cortado", "O stream terminou sem [DONE]: a conexão foi cortada ou o servidor não mandou o " +
                "data: [DONE] no fim. A resposta pode estar incompleta (guia §3.3).");
    }
  }

  function aoEvento(evento, s) {
    const t = s.chegada;
    s.eventos += 1;
    el.eventos.textContent = String(s.eventos);
    if (evento.type === "error") {
      s.erro = true;
      marcar(t, "erro");
      el.total.textContent = ms(t);
      erroGeral("erro", "O servidor mandou event: error no meio do stream: «" + evento.data + "». " +
                "O texto acima ficou incompleto (e não vem [DONE]).");
      return;
    }
    if (evento.type !== "message") { marcar(t, ""); return; } // outros tipos: só no fio
    if (evento.data === "[DONE]") {
      s.done = true;
      marcar(t, "fim");
      el.total.textContent = ms(t);
      return;
    }
    if (s.done) s.depoisDoDone = true;
    if (el.primeiro.textContent === "—") el.primeiro.textContent = ms(t);
    marcar(t, "");
    el.saida.append(evento.data); // um nó de texto: o que o modelo mandou aparece como texto, nunca como HTML
  }

  async function lerInteira(resp, t0) {
    const texto = await resp.text();
    const t = performance.now() - t0;
    let resposta = texto;
    try {
      const corpo = JSON.parse(texto);
      resposta = typeof corpo.response === "string" ? corpo.response : JSON.stringify(corpo, null, 2);
    } catch (err) { /* não era JSON: mostra o texto como veio */ }
    fio("fio-linha", texto, t);
    el.saida.append(resposta);
    el.primeiro.textContent = ms(t);
    el.total.textContent = ms(t);
    marcar(t, "fim");
    estado("concluido", "Concluído sem streaming: a resposta chegou inteira, de uma vez, depois de " + ms(t) + ".");
  }

  // ------------------------------------------------------------------ erros HTTP

  async function descreverErroHttp(resp, caminho) {
    const texto = await resp.text().catch(() => "");
    let detalhe = texto.slice(0, 500);
    let corpo = null;
    try { corpo = JSON.parse(texto); } catch (err) { /* não é JSON */ }
    if (corpo && corpo.detail !== undefined) detalhe = corpo.detail;
    const s = resp.status;
    if (s === 422 && Array.isArray(detalhe)) {
      const itens = detalhe.map((d) => "• " + (d.loc || []).join(" → ") + ": " + d.msg).join("\n");
      return "422 Pedido inválido: o FastAPI recusou o corpo antes de chamar a sua rota.\n" + itens;
    }
    const texto2 = typeof detalhe === "string" ? detalhe : JSON.stringify(detalhe);
    if (s === 404) return "404: o servidor não tem a rota POST " + caminho + " (ainda). " + texto2;
    if (s === 502) return "502 Bad Gateway: o modelo falhou antes de responder. " + texto2;
    if (s >= 500) return s + " Erro no servidor: " + (texto2 || "sem detalhes") + " — o traceback está no terminal do dia3 serve.";
    return s + ": " + texto2;
  }

  // ------------------------------------------------------------------ a tela

  function limpar() {
    el.saida.textContent = "";
    el.erro.hidden = true;
    el.erro.textContent = "";
    el.fio.textContent = "";
    el.primeiro.textContent = "—";
    el.total.textContent = "—";
    el.eventos.textContent = "0";
    marcas = [];
    desenharLinhaDoTempo();
  }

  function ocupado(sim) {
    el.enviar.disabled = sim;
    el.parar.disabled = !sim;
    if (!sim) controller = null;
  }

  function estado(nome, texto) {
    el.estado.dataset.estado = nome;
    el.estado.textContent = texto;
  }

  function erroGeral(nome, texto) {
    estado(nome, nome === "cortado" ? "Resposta incompleta." : "Erro.");
    el.erro.textContent = texto;
    el.erro.hidden = false;
  }

  function aviso(texto) {
    el.erro.textContent = (el.erro.hidden ? "" : el.erro.textContent + "\n") + "⚠️ " + texto;
    el.erro.hidden = false;
  }

  function textoParado() {
    return "Parado por você. O servidor deve cancelar a chamada ao modelo: no terminal do dia3 serve " +
           "aparece a linha do LLM simulado dizendo que a chamada foi cancelada (guia §4.2).";
  }

  function fio(classe, texto, t) {
    const li = document.createElement("li");
    li.className = classe;
    if (t !== undefined) {
      const quando = document.createElement("span");
      quando.className = "quando";
      quando.textContent = "+" + ms(t);
      li.append(quando);
    }
    li.append(classe === "fio-vazia" ? "(linha vazia: entrega o evento)" : texto);
    el.fio.append(li);
  }

  function marcar(t, tipo) {
    marcas.push({ t, tipo });
    desenharLinhaDoTempo();
  }

  function desenharLinhaDoTempo() {
    const fim = Math.max(1, ...marcas.map((m) => m.t));
    el.linha.textContent = "";
    for (const m of marcas) {
      const span = document.createElement("span");
      span.className = m.tipo;
      span.style.left = (100 * m.t / fim).toFixed(2) + "%";
      el.linha.append(span);
    }
    el.linha.setAttribute("aria-label", marcas.length
      ? marcas.length + " eventos entre " + ms(marcas[0].t) + " e " + ms(fim)
      : "nenhum evento ainda");
  }

  function ms(valor) {
    return numero.format(valor) + " ms";
  }
})();
