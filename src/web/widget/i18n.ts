/** The widget's language: an ISO 639-1 code with texts below (others fall back to English). */
export type UiLang = string;

export const TEXT = {
  zh: {
    title: '在线客服',
    open: '打开在线客服',
    closeChat: '关闭在线客服',
    close: '关闭',
    newConversation: '新对话',
    placeholder: '请输入您的问题…',
    send: '发送',
    welcome: '您好！我是智能客服，可以回答产品使用、故障排除和售后政策问题。',
    sources: '参考资料',
    thinking: '正在查找资料…',
    refusalTitle: '需要人工帮助',
    quoted: '摘自帮助资料',
    helpful: '有帮助',
    notHelpful: '没有帮助',
    commentPlaceholder: '可以告诉我们哪里不好吗？（选填）',
    submit: '提交',
    thanks: '感谢您的反馈！',
    retry: '重试',
    you: '您',
    assistant: '客服',
    errorNetwork: '网络连接失败，请检查网络后重试。',
    errorRateLimited: (seconds: number) => `提问太频繁了，请 ${seconds} 秒后再试。`,
    errorServer: '服务暂时出了点问题，请稍后重试。',
    errorBadRequest: '这个问题无法处理，请换个说法。',
    errorMisconfigured: '在线客服暂时无法使用：本网站的客服设置有误。请通过其他方式联系我们。',
    productLine: '适用产品线',
    messageLog: '对话记录',
    newMessage: '有新消息 ↓',
    confirmReset: '清空当前对话，开始新对话？',
    confirmYes: '开始新对话',
    confirmNo: '取消',
    unread: (count: number) => `（${count} 条新消息）`,
    remaining: (used: number, max: number) => `${used}/${max} 字`,
    full: (max: number) => `已达到 ${max} 字上限`,
    contactPerson: '留下联系方式，请人工客服回复我',
    openPage: '查看原文',
    suggested: '您可以这样问：',
    rateConversation: '这次对话对您有帮助吗？',
    stars: (n: number) => `${n} 星`,
    rated: '感谢您的评价！',
    handoffTitle: '请人工客服联系您',
    name: '姓名',
    email: '电子邮箱',
    yourQuestion: '您的问题',
    consent: '我同意保存我的姓名和邮箱，用于客服就此问题与我联系。',
    handoffSend: '提交',
    handoffDone: '已收到，客服同事会尽快通过邮件回复您。',
    handoffFailed: '提交失败，请稍后重试，或直接通过上面的方式联系我们。',
    required: '请填写姓名、有效的邮箱并勾选同意。',
  },
  en: {
    title: 'Support',
    open: 'Open support chat',
    closeChat: 'Close support chat',
    close: 'Close',
    newConversation: 'New conversation',
    placeholder: 'Ask a question…',
    send: 'Send',
    welcome: 'Hi! I can answer questions about using our products, troubleshooting, and our policies.',
    sources: 'Sources',
    thinking: 'Looking it up…',
    refusalTitle: 'A person can help',
    quoted: 'Quoted from our help articles',
    helpful: 'Helpful',
    notHelpful: 'Not helpful',
    commentPlaceholder: 'What was wrong? (optional)',
    submit: 'Send feedback',
    thanks: 'Thanks for your feedback!',
    retry: 'Retry',
    you: 'You',
    assistant: 'Assistant',
    errorNetwork: 'Could not reach the server. Check your connection and try again.',
    errorRateLimited: (seconds: number) => `Too many questions at once. Please try again in ${seconds} s.`,
    errorServer: 'Something went wrong on our side. Please try again.',
    errorBadRequest: 'That question could not be processed. Please rephrase it.',
    errorMisconfigured: "Support chat isn't available here right now: it is not set up correctly on this site. Please contact us another way.",
    productLine: 'Applies to',
    messageLog: 'Conversation',
    newMessage: 'New message ↓',
    confirmReset: 'Clear this conversation and start a new one?',
    confirmYes: 'Start over',
    confirmNo: 'Cancel',
    unread: (count: number) => ` (${count} new ${count === 1 ? 'message' : 'messages'})`,
    remaining: (used: number, max: number) => `${used}/${max} characters`,
    full: (max: number) => `Limit of ${max} characters reached`,
    contactPerson: 'Ask a person to reply to me',
    openPage: 'Open the page',
    suggested: 'You could ask:',
    rateConversation: 'How was this conversation?',
    stars: (n: number) => `${n} ${n === 1 ? 'star' : 'stars'}`,
    rated: 'Thanks for rating this conversation!',
    handoffTitle: 'Have a person contact you',
    name: 'Name',
    email: 'E-mail',
    yourQuestion: 'Your question',
    consent: 'I agree that my name and e-mail are kept so the support team can contact me about this question.',
    handoffSend: 'Send',
    handoffDone: 'Thank you. A member of our support team will reply by e-mail soon.',
    handoffFailed: 'That did not go through. Please try again, or use the contact details above.',
    required: 'Please give your name, a valid e-mail address, and your consent.',
  },
};

export type UiText = (typeof TEXT)['en'];

/**
 * The widget's own strings in further languages: the ones a customer reads in every conversation. A string
 * without a translation here is shown in English (uiText), so a language can be added a few strings at a time.
 */
const TRANSLATIONS: Record<string, Partial<UiText>> = {
  ar: {
    title: 'الدعم', open: 'افتح محادثة الدعم', closeChat: 'أغلق محادثة الدعم', close: 'إغلاق', newConversation: 'محادثة جديدة',
    placeholder: 'اكتب سؤالك…', send: 'إرسال', welcome: 'مرحبًا! يمكنني الإجابة عن أسئلة استخدام منتجاتنا وحل المشكلات وسياساتنا.',
    sources: 'المصادر', thinking: 'جارٍ البحث…', refusalTitle: 'يمكن لأحد موظفينا مساعدتك', quoted: 'مقتبس من مقالات المساعدة',
    helpful: 'مفيد', notHelpful: 'غير مفيد', retry: 'إعادة المحاولة', you: 'أنت', assistant: 'المساعد',
    errorNetwork: 'تعذّر الوصول إلى الخادم. تحقّق من اتصالك وحاول مرة أخرى.', errorServer: 'حدث خطأ من جهتنا. يُرجى المحاولة مرة أخرى.',
    contactPerson: 'أريد أن يردّ عليّ أحد الموظفين', openPage: 'افتح الصفحة', suggested: 'يمكنك أن تسأل:', messageLog: 'المحادثة',
  },
  fa: {
    title: 'پشتیبانی', open: 'باز کردن گفتگوی پشتیبانی', closeChat: 'بستن گفتگوی پشتیبانی', close: 'بستن', newConversation: 'گفتگوی تازه',
    placeholder: 'پرسش خود را بنویسید…', send: 'ارسال', welcome: 'سلام! می‌توانم به پرسش‌های مربوط به استفاده از محصولات، رفع اشکال و سیاست‌های ما پاسخ دهم.',
    sources: 'منابع', thinking: 'در حال جستجو…', refusalTitle: 'یکی از همکاران ما می‌تواند کمک کند', quoted: 'نقل‌شده از مقاله‌های راهنما',
    helpful: 'مفید بود', notHelpful: 'مفید نبود', retry: 'تلاش دوباره', you: 'شما', assistant: 'دستیار',
    errorNetwork: 'دسترسی به سرور ممکن نشد. اتصال خود را بررسی کنید و دوباره تلاش کنید.', errorServer: 'مشکلی از سمت ما پیش آمد. لطفاً دوباره تلاش کنید.',
    contactPerson: 'می‌خواهم یکی از همکاران پاسخ دهد', openPage: 'باز کردن صفحه', suggested: 'می‌توانید بپرسید:', messageLog: 'گفتگو',
  },
  he: {
    title: 'תמיכה', open: 'פתיחת צ׳אט התמיכה', closeChat: 'סגירת צ׳אט התמיכה', close: 'סגירה', newConversation: 'שיחה חדשה',
    placeholder: 'כתבו את שאלתכם…', send: 'שליחה', welcome: 'שלום! אפשר לשאול אותי על השימוש במוצרים שלנו, פתרון תקלות והמדיניות שלנו.',
    sources: 'מקורות', thinking: 'מחפש…', refusalTitle: 'נציג יכול לעזור', quoted: 'מצוטט ממאמרי העזרה',
    helpful: 'מועיל', notHelpful: 'לא מועיל', retry: 'ניסיון חוזר', you: 'את/ה', assistant: 'עוזר',
    errorNetwork: 'לא ניתן להתחבר לשרת. בדקו את החיבור ונסו שוב.', errorServer: 'משהו השתבש אצלנו. נסו שוב.',
    contactPerson: 'אני רוצה שנציג יחזור אליי', openPage: 'פתיחת הדף', suggested: 'אפשר לשאול:', messageLog: 'שיחה',
  },
  th: {
    title: 'ฝ่ายบริการลูกค้า', open: 'เปิดแชทบริการลูกค้า', closeChat: 'ปิดแชทบริการลูกค้า', close: 'ปิด', newConversation: 'เริ่มบทสนทนาใหม่',
    placeholder: 'พิมพ์คำถามของคุณ…', send: 'ส่ง', welcome: 'สวัสดี! ฉันตอบคำถามเกี่ยวกับการใช้งานผลิตภัณฑ์ การแก้ปัญหา และนโยบายของเราได้',
    sources: 'แหล่งที่มา', thinking: 'กำลังค้นหา…', refusalTitle: 'เจ้าหน้าที่ช่วยคุณได้', quoted: 'ยกมาจากบทความช่วยเหลือ',
    helpful: 'มีประโยชน์', notHelpful: 'ไม่มีประโยชน์', retry: 'ลองอีกครั้ง', you: 'คุณ', assistant: 'ผู้ช่วย',
    errorNetwork: 'เชื่อมต่อเซิร์ฟเวอร์ไม่ได้ โปรดตรวจสอบการเชื่อมต่อแล้วลองอีกครั้ง', errorServer: 'เกิดข้อผิดพลาดจากฝั่งเรา โปรดลองอีกครั้ง',
    contactPerson: 'ขอให้เจ้าหน้าที่ติดต่อกลับ', openPage: 'เปิดหน้า', suggested: 'คุณอาจถามว่า:', messageLog: 'บทสนทนา',
  },
  vi: {
    title: 'Hỗ trợ', open: 'Mở trò chuyện hỗ trợ', closeChat: 'Đóng trò chuyện hỗ trợ', close: 'Đóng', newConversation: 'Cuộc trò chuyện mới',
    placeholder: 'Nhập câu hỏi của bạn…', send: 'Gửi', welcome: 'Xin chào! Tôi có thể trả lời câu hỏi về cách dùng sản phẩm, khắc phục sự cố và chính sách của chúng tôi.',
    sources: 'Nguồn', thinking: 'Đang tìm…', refusalTitle: 'Nhân viên có thể giúp bạn', quoted: 'Trích từ bài viết hỗ trợ',
    helpful: 'Hữu ích', notHelpful: 'Không hữu ích', retry: 'Thử lại', you: 'Bạn', assistant: 'Trợ lý',
    errorNetwork: 'Không kết nối được máy chủ. Hãy kiểm tra kết nối và thử lại.', errorServer: 'Đã có lỗi từ phía chúng tôi. Vui lòng thử lại.',
    contactPerson: 'Nhờ nhân viên trả lời tôi', openPage: 'Mở trang', suggested: 'Bạn có thể hỏi:', messageLog: 'Cuộc trò chuyện',
  },
  id: {
    title: 'Bantuan', open: 'Buka obrolan bantuan', closeChat: 'Tutup obrolan bantuan', close: 'Tutup', newConversation: 'Percakapan baru',
    placeholder: 'Tulis pertanyaan Anda…', send: 'Kirim', welcome: 'Halo! Saya bisa menjawab pertanyaan tentang penggunaan produk, pemecahan masalah, dan kebijakan kami.',
    sources: 'Sumber', thinking: 'Sedang mencari…', refusalTitle: 'Petugas kami bisa membantu', quoted: 'Dikutip dari artikel bantuan',
    helpful: 'Membantu', notHelpful: 'Tidak membantu', retry: 'Coba lagi', you: 'Anda', assistant: 'Asisten',
    errorNetwork: 'Tidak dapat terhubung ke server. Periksa koneksi Anda lalu coba lagi.', errorServer: 'Terjadi kesalahan di pihak kami. Silakan coba lagi.',
    contactPerson: 'Minta petugas membalas saya', openPage: 'Buka halaman', suggested: 'Anda bisa bertanya:', messageLog: 'Percakapan',
  },
  ja: {
    title: 'サポート', open: 'サポートチャットを開く', closeChat: 'サポートチャットを閉じる', close: '閉じる', newConversation: '新しい会話',
    placeholder: 'ご質問を入力してください…', send: '送信', welcome: 'こんにちは！製品の使い方、トラブルシューティング、各種ポリシーについてお答えします。',
    sources: '出典', thinking: '検索しています…', refusalTitle: '担当者がお手伝いします', quoted: 'ヘルプ記事からの引用',
    helpful: '役に立った', notHelpful: '役に立たなかった', retry: '再試行', you: 'あなた', assistant: 'アシスタント',
    errorNetwork: 'サーバーに接続できません。接続を確認して、もう一度お試しください。', errorServer: 'こちら側で問題が発生しました。もう一度お試しください。',
    contactPerson: '担当者からの返信を希望する', openPage: 'ページを開く', suggested: 'こんな質問ができます：', messageLog: '会話',
  },
  ko: {
    title: '고객 지원', open: '고객 지원 채팅 열기', closeChat: '고객 지원 채팅 닫기', close: '닫기', newConversation: '새 대화',
    placeholder: '질문을 입력하세요…', send: '보내기', welcome: '안녕하세요! 제품 사용법, 문제 해결, 정책에 관한 질문에 답해 드립니다.',
    sources: '출처', thinking: '찾는 중…', refusalTitle: '상담원이 도와드릴 수 있습니다', quoted: '도움말 문서에서 인용',
    helpful: '도움이 됨', notHelpful: '도움이 안 됨', retry: '다시 시도', you: '나', assistant: '도우미',
    errorNetwork: '서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.', errorServer: '문제가 발생했습니다. 다시 시도해 주세요.',
    contactPerson: '상담원의 답변 요청', openPage: '페이지 열기', suggested: '이렇게 물어보세요:', messageLog: '대화',
  },
  es: {
    title: 'Soporte', open: 'Abrir el chat de soporte', closeChat: 'Cerrar el chat de soporte', close: 'Cerrar', newConversation: 'Nueva conversación',
    placeholder: 'Escriba su pregunta…', send: 'Enviar', welcome: '¡Hola! Puedo responder preguntas sobre el uso de nuestros productos, la solución de problemas y nuestras políticas.',
    sources: 'Fuentes', thinking: 'Buscando…', refusalTitle: 'Una persona puede ayudarle', quoted: 'Citado de nuestros artículos de ayuda',
    helpful: 'Útil', notHelpful: 'No es útil', retry: 'Reintentar', you: 'Usted', assistant: 'Asistente',
    errorNetwork: 'No se pudo conectar con el servidor. Compruebe su conexión e inténtelo de nuevo.', errorServer: 'Algo salió mal por nuestra parte. Inténtelo de nuevo.',
    contactPerson: 'Quiero que me responda una persona', openPage: 'Abrir la página', suggested: 'Puede preguntar:', messageLog: 'Conversación',
  },
  de: {
    title: 'Support', open: 'Support-Chat öffnen', closeChat: 'Support-Chat schließen', close: 'Schließen', newConversation: 'Neues Gespräch',
    placeholder: 'Ihre Frage…', send: 'Senden', welcome: 'Hallo! Ich beantworte Fragen zur Nutzung unserer Produkte, zur Fehlerbehebung und zu unseren Richtlinien.',
    sources: 'Quellen', thinking: 'Suche läuft…', refusalTitle: 'Ein Mensch kann helfen', quoted: 'Zitiert aus unseren Hilfeartikeln',
    helpful: 'Hilfreich', notHelpful: 'Nicht hilfreich', retry: 'Erneut versuchen', you: 'Sie', assistant: 'Assistent',
    errorNetwork: 'Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.', errorServer: 'Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es erneut.',
    contactPerson: 'Ein Mensch soll mir antworten', openPage: 'Seite öffnen', suggested: 'Sie könnten fragen:', messageLog: 'Gespräch',
  },
  fr: {
    title: 'Assistance', open: "Ouvrir le chat d'assistance", closeChat: "Fermer le chat d'assistance", close: 'Fermer', newConversation: 'Nouvelle conversation',
    placeholder: 'Posez votre question…', send: 'Envoyer', welcome: "Bonjour ! Je réponds aux questions sur l'utilisation de nos produits, le dépannage et nos conditions.",
    sources: 'Sources', thinking: 'Recherche en cours…', refusalTitle: 'Une personne peut vous aider', quoted: "Cité de nos articles d'aide",
    helpful: 'Utile', notHelpful: 'Pas utile', retry: 'Réessayer', you: 'Vous', assistant: 'Assistant',
    errorNetwork: 'Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.', errorServer: 'Un problème est survenu de notre côté. Veuillez réessayer.',
    contactPerson: "Je souhaite qu'une personne me réponde", openPage: 'Ouvrir la page', suggested: 'Vous pouvez demander :', messageLog: 'Conversation',
  },
  ru: {
    title: 'Поддержка', open: 'Открыть чат поддержки', closeChat: 'Закрыть чат поддержки', close: 'Закрыть', newConversation: 'Новый разговор',
    placeholder: 'Введите ваш вопрос…', send: 'Отправить', welcome: 'Здравствуйте! Я отвечаю на вопросы об использовании наших продуктов, устранении неполадок и наших правилах.',
    sources: 'Источники', thinking: 'Ищу…', refusalTitle: 'Вам может помочь сотрудник', quoted: 'Цитата из справочных статей',
    helpful: 'Полезно', notHelpful: 'Бесполезно', retry: 'Повторить', you: 'Вы', assistant: 'Помощник',
    errorNetwork: 'Не удалось связаться с сервером. Проверьте подключение и попробуйте снова.', errorServer: 'У нас что-то пошло не так. Попробуйте ещё раз.',
    contactPerson: 'Хочу, чтобы мне ответил сотрудник', openPage: 'Открыть страницу', suggested: 'Можно спросить:', messageLog: 'Разговор',
  },
};

/** Languages written right to left: the widget's panel is laid out from the right for them. */
const RTL = new Set(['ar', 'fa', 'he', 'ur']);
export const isRtl = (lang: UiLang): boolean => RTL.has(lang);

/** The languages the widget has strings of its own for. */
export const UI_LANGUAGES: readonly UiLang[] = ['zh', 'en', ...Object.keys(TRANSLATIONS)];

/** The widget's strings in `lang`, each missing one in English. */
export function uiText(lang: UiLang): UiText {
  if (lang === 'zh') return TEXT.zh;
  return { ...TEXT.en, ...(TRANSLATIONS[lang] ?? {}) };
}

const primary = (tag: string | null | undefined) => /^[a-z]{2,3}/i.exec(tag?.trim() ?? '')?.[0].toLowerCase();

/**
 * data-lang (any language the widget has strings for) wins; "auto" (or nothing) follows the browser: its first
 * language the widget speaks, else Chinese for a browser that lists Chinese before English, else English.
 */
export function pickLanguage(attribute: string | null | undefined, browser: readonly string[]): UiLang {
  const chosen = primary(attribute);
  if (chosen && UI_LANGUAGES.includes(chosen)) return chosen;
  const first = primary(browser[0]);
  if (first && first !== 'en' && UI_LANGUAGES.includes(first)) return first;
  return browser.some((lang) => lang.toLowerCase().startsWith('zh')) && !browser[0]?.toLowerCase().startsWith('en') ? 'zh' : 'en';
}
